// GET /sdk.js: a tiny first-party script for the brand's site. It keeps the click id from the landing
// URL in a cookie on the brand's own domain and hands it to checkout. Plain ES5 so any storefront runs it.
import { Hono } from 'hono';
import type { AppEnv } from '../env';

export const SDK_SOURCE = `(function () {
  var script = document.currentScript;
  var param = (script && script.getAttribute('data-param')) || 'cid';
  var days = Number((script && script.getAttribute('data-days')) || 30);
  var name = 'chorus_cid';
  var valid = /^[A-Za-z0-9_-]{16,64}$/;
  function read() {
    var m = document.cookie.match(/(?:^|; )chorus_cid=([A-Za-z0-9_-]{16,64})/);
    return m ? m[1] : null;
  }
  var fromUrl = new URLSearchParams(location.search).get(param);
  if (fromUrl && valid.test(fromUrl)) {
    document.cookie = name + '=' + fromUrl + '; Max-Age=' + days * 86400 + '; Path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }
  var api = {
    clickId: read,
    // Adds the click id as a hidden field to a custom checkout form.
    attach: function (form) {
      var id = read();
      if (!id || !form) return;
      var input = form.querySelector('input[name="chorus_cid"]') || document.createElement('input');
      input.type = 'hidden';
      input.name = 'chorus_cid';
      input.value = id;
      form.appendChild(input);
    },
    // Shopify: stores the click id as a cart attribute, which arrives on the order as a note attribute.
    shopifyCart: function () {
      var id = read();
      if (!id || !window.fetch) return Promise.resolve();
      return fetch('/cart/update.js', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ attributes: { chorus_cid: id } }) });
    }
  };
  window.Chorus = api;
  if (script && script.hasAttribute('data-shopify')) api.shopifyCart();
})();
`;

export const sdk = new Hono<AppEnv>();

sdk.get('/sdk.js', (c) =>
  c.body(SDK_SOURCE, 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600',
    'Access-Control-Allow-Origin': '*',
    'X-Content-Type-Options': 'nosniff',
  }),
);
