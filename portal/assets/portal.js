// Progressive enhancement only: every task works without this file.
(function () {
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (!button) return;
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    else { input.select(); document.execCommand && document.execCommand('copy'); done(); }
  });

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
