// The Mailbox page: looks for a new message every 5 seconds; when one has come, puts the page's list (and
// the next scheduled email) in place without a reload, and says so to screen readers.
(function () {
  'use strict';
  var live = document.getElementById('mailbox-live');
  if (!live || !window.fetch || !window.DOMParser) return;
  var newest = function () {
    var wrap = live.querySelector('[data-newest]');
    return wrap ? wrap.getAttribute('data-newest') : '';
  };
  var check = function () {
    fetch('/mailbox/latest', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (latest) {
        if (!latest || latest.newest === null || String(latest.newest) === newest()) return null;
        return fetch('/mailbox', { credentials: 'same-origin' }).then(function (res) { return res.text(); });
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('mailbox-live');
        if (!fresh) return;
        live.innerHTML = fresh.innerHTML;
        var status = document.getElementById('mailbox-status');
        var first = live.querySelector('tbody th a');
        if (status && first) status.textContent = (status.getAttribute('data-new-message') || 'New message:') + ' ' + first.textContent;
      })
      .catch(function () {});
  };
  setInterval(check, 5000);
})();
