// The customer's survey pages (DESIGN.md, "Responses: held, settled, never silently lost").
// Opening a page stores nothing: mail scanners open every link. Every post says what the page saw:
// `trigger` (click: an explicit Send; auto: the background save; script: sent without a Send; nojs: the
// plain form) and `input` (the first pointer, touch or key input on the page). A Send after input counts
// at once; anything else is held for a while before it counts, and scanners' answers never do.
// On a page opened from a score link, the chosen score is saved in the background once the page has
// been visible for a few seconds or a person shows up, so a person who closes the tab is still heard.
(function () {
  'use strict';
  var VISIBLE_MS = 4000;
  var forms = document.querySelectorAll('form[method="post"]');
  var input = '';

  function setField(form, name, value) {
    var field = form.querySelector('input[name="' + name + '"]');
    if (field) field.value = value;
  }

  forms.forEach(function (form) {
    setField(form, 'trigger', 'script');
    form.addEventListener('submit', function () {
      setField(form, 'trigger', 'click');
    });
  });

  function onInput(event) {
    if (input) return;
    if (event.type === 'keydown') input = 'key';
    else if (event.type === 'touchstart' || event.pointerType === 'touch' || event.pointerType === 'pen') input = 'touch';
    else input = 'pointer';
    forms.forEach(function (form) {
      setField(form, 'input', input);
    });
  }
  ['pointerdown', 'pointermove', 'touchstart', 'keydown'].forEach(function (name) {
    document.addEventListener(name, onInput, { capture: true, passive: true });
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
    if (input) body.set('input', input);
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
          // Only an answer that is stored to count is called saved.
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

  var humanEvents = ['pointerdown', 'touchstart', 'keydown'];
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
