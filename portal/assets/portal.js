// Progressive enhancement only: every task works without this file.
(function () {
  var copyButtons = document.querySelectorAll('[data-copy]');
  for (var c = 0; c < copyButtons.length; c++) copyButtons[c].hidden = false;
  // A screen reader hears "Copied" too: a polite status region, in the page before anything is copied.
  var copiedStatus = null;
  if (copyButtons.length > 0) {
    copiedStatus = document.createElement('p');
    copiedStatus.className = 'visually-hidden';
    copiedStatus.setAttribute('role', 'status');
    (document.querySelector('main') || document.body).appendChild(copiedStatus);
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (!button) return;
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = 'Copied';
      if (copiedStatus) copiedStatus.textContent = 'Copied to the clipboard';
      setTimeout(function () {
        button.textContent = label;
        if (copiedStatus) copiedStatus.textContent = '';
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    else { input.select(); document.execCommand && document.execCommand('copy'); done(); }
  });

  // A table wider than its card scrolls sideways: make the scroller a named, focusable region so
  // keyboard users can scroll it too (and drop that again when it fits).
  var markScrollers = function () {
    var wraps = document.querySelectorAll('.table-wrap');
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (wrap.hasAttribute('tabindex')) continue;
        var section = wrap.closest('section');
        var heading = section && section.querySelector('h2, h3');
        wrap.setAttribute('tabindex', '0');
        wrap.setAttribute('role', 'region');
        wrap.setAttribute('aria-label', (heading ? heading.textContent.trim() : 'Table') + ', scrollable');
        wrap.setAttribute('data-scroller', '');
      } else if (wrap.hasAttribute('data-scroller')) {
        ['tabindex', 'role', 'aria-label', 'data-scroller'].forEach(function (a) { wrap.removeAttribute(a); });
      }
    }
  };
  markScrollers();
  var resizing;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollers, 100);
  });

  // A statement's Print button: printing needs a script, so the button shows only where one runs.
  var printButtons = document.querySelectorAll('[data-print]');
  for (var p = 0; p < printButtons.length; p++) {
    printButtons[p].hidden = false;
    printButtons[p].addEventListener('click', function () { window.print(); });
  }

  // Live caption check against the brief's hashtag and disclosure, as the creator types.
  var form = document.querySelector('form[data-compliance]');
  if (!form) return;
  var rules = JSON.parse(form.getAttribute('data-compliance'));
  var caption = form.querySelector('textarea[name="caption"]');
  var live = document.getElementById('caption-live');
  if (!caption || !live) return;
  var has = function (text, tag) {
    var escaped = tag.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp('(^|[^\\p{L}\\p{N}_#])' + escaped + '(?![\\p{L}\\p{N}_])', 'u').test(text.normalize('NFKC').toLowerCase());
  };
  var update = function () {
    if (!caption.value.trim()) { live.textContent = ''; return; }
    var missing = [];
    if (!has(caption.value, rules.hashtag)) missing.push(rules.hashtag);
    if (!has(caption.value, rules.disclosure)) missing.push(rules.disclosure);
    live.className = 'hint live-check ' + (missing.length ? 'missing' : 'ok');
    live.textContent = missing.length ? 'Missing: ' + missing.join(' and ') : 'Hashtag and disclosure present.';
  };
  caption.addEventListener('input', update);
  update();
})();
