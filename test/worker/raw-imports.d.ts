// Vite's ?raw imports: fixtures read byte for byte, as signed.
declare module '*?raw' {
  const text: string;
  export default text;
}
