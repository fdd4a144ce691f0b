// The main navigation on a phone: folded behind the Menu button, which opens and closes it (on wide screens
// the CSS shows it as a column whatever the button says). Without this script the navigation stays open.
(function () {
  'use strict';
  // Disclosures that are open on wide screens and folded on a phone (such as the dashboards' period and filters).
  if (window.matchMedia && window.matchMedia('(max-width: 899px)').matches) {
    document.querySelectorAll('details[data-fold-on-phone]').forEach(function (d) { d.removeAttribute('open'); });
  }
  var button = document.querySelector('.menu-toggle');
  var panel = document.getElementById('nav-panel');
  if (!button || !panel) return;
  button.hidden = false;
  panel.setAttribute('data-folded', '');
  button.addEventListener('click', function () {
    var open = button.getAttribute('aria-expanded') === 'true';
    button.setAttribute('aria-expanded', open ? 'false' : 'true');
    if (open) panel.setAttribute('data-folded', '');
    else panel.removeAttribute('data-folded');
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
      button.click();
      button.focus();
    }
  });
})();
