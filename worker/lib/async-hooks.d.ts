// The piece of Node's modules the worker uses (nodejs_compat provides it in workerd). The project
// does not carry @types/node, whose globals would clash with the Workers types.
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
