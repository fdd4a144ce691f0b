// The survey page opened from a score link (DESIGN.md, "Responses and link scanners").
// Opening the page stores nothing: mail scanners open every link. This script
// saves the pre-selected score once a person shows up (pointer, touch, key,
// focus on a field) or the page has stayed visible for a few seconds; the
// Send button saves score and comment. Without JavaScript the button does it all.
(function () {
  'use strict';
  var VISIBLE_MS = 4000;

  // Every form on these pages says how it was sent: a click, or the plain form without script.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var trigger = form.querySelector('input[name="trigger"]');
      if (trigger) trigger.value = 'click';
    });
  });

  var form = document.getElementById('survey-form');
  if (!form || form.getAttribute('data-autosave') !== '1' || !window.fetch) return;
  var status = document.getElementById('save-status');
  var submit = form.querySelector('button[type="submit"]');
  var saved = null; // the score last saved in the background
  var inFlight = false;
  var timer = null;

  function selectedScore() {
    var checked = form.querySelector('input[name="score"]:checked');
    return checked ? checked.value : null;
  }

  function save() {
    var score = selectedScore();
    if (score === null || score === saved || inFlight) return;
    inFlight = true;
    stopWatching();
    var body = new URLSearchParams();
    body.set('score', score);
    body.set('trigger', 'auto');
    var view = form.querySelector('input[name="view"]');
    if (view) body.set('view', view.value);
    fetch(form.action, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      credentials: 'same-origin',
    })
      .then(function (res) {
        return res.json().then(function (answer) {
          if (res.ok && answer.saved) {
            saved = score;
            if (status) status.textContent = (status.getAttribute('data-saved') || '').replace('{score}', score);
          }
        });
      })
      .catch(function () {
        // Nothing lost: the Send button still posts the form.
      })
      .then(function () {
        inFlight = false;
        // The person may have picked another score while the first one was saving.
        if (saved !== null && selectedScore() !== saved) save();
      });
  }

  function onHuman(event) {
    // A press on Send is followed by the form's own post; no need to race it.
    if (submit && event && event.target && submit.contains(event.target)) return;
    save();
  }

  var humanEvents = ['pointerdown', 'pointermove', 'touchstart', 'keydown'];
  function stopWatching() {
    humanEvents.forEach(function (name) {
      document.removeEventListener(name, onHuman, true);
    });
    form.removeEventListener('focusin', onHuman);
    document.removeEventListener('visibilitychange', onVisibility);
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function onVisibility() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (document.visibilityState === 'visible') timer = setTimeout(save, VISIBLE_MS);
  }

  humanEvents.forEach(function (name) {
    document.addEventListener(name, onHuman, { capture: true, passive: true });
  });
  form.addEventListener('focusin', onHuman);
  document.addEventListener('visibilitychange', onVisibility);
  onVisibility();

  // After the first save, choosing another score saves it too.
  form.addEventListener('change', function (event) {
    if (event.target && event.target.name === 'score' && saved !== null) save();
  });
})();
