// First-run setup: choose the browser's time zone for reporting while the choice is still the default (UTC).
(function () {
  'use strict';
  var select = document.getElementById('f-reporting_time_zone');
  if (!select || select.value !== 'UTC') return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
})();
