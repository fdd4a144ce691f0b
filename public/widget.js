/*! Touchpoint widget v1. Embed:
 * <script src="{base}/widget.js" data-customer="ID" data-signature="SIG" [data-locale="en|de"] async></script>
 * POST {base}/widget/v1/invitation {customer,signature,locale} -> 204 | 200 {invitation,locale,metric,min,max,question,low_label,high_label,comment_prompt,thank_you,texts}
 * POST {base}/widget/v1/answer {customer,signature,invitation,score[,comment]} -> 200 {state}
 * POST {base}/widget/v1/dismiss {customer,signature,invitation} (closed before a score was sent)
 */
(function () {
  'use strict';
  try {
    if (window.TouchpointWidget) return;
    const me = document.currentScript || document.querySelector('script[src*="widget.js"][data-signature]');
    if (!me) return;
    const customer = me.getAttribute('data-customer');
    const signature = me.getAttribute('data-signature');
    if (!customer || !signature) return;
    window.TouchpointWidget = Object.freeze({ version: 1 });
    const base = (me.src || '').replace(/[?#].*$/, '').replace(/\/widget\.js$/, '');
    const locale = me.getAttribute('data-locale') || navigator.language || 'en';
    const noop = () => {};
    const post = (path, body) => fetch(base + '/widget/v1/' + path, {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.assign({ customer, signature }, body))
    });
    const el = (tag, cls, text, attrs) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = String(text);
      if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
      return e;
    };
    const CSS = ':host{all:initial}' +
      '*{box-sizing:border-box}' +
      '.tp-card{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:calc(100% - 32px);max-width:360px;max-height:calc(100vh - 32px);overflow:auto;padding:16px;background:#fff;color:#1a1a1a;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.22),0 0 0 1px rgba(0,0,0,.06);font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;text-align:left}' +
      '@media (prefers-reduced-motion:no-preference){.tp-card{animation:tp-in .15s ease-out}}' +
      '@keyframes tp-in{from{transform:translateY(16px)}}' +
      '.tp-head{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-bottom:8px}' +
      '.tp-title{margin:0;font-size:13px;font-weight:600;color:#4a4a4a}' +
      '.tp-q{margin:0 0 12px;font-size:16px;font-weight:600}' +
      'button,textarea{font:inherit;color:inherit;margin:0}' +
      'button{cursor:pointer}' +
      '.tp-close{flex:none;width:32px;height:32px;padding:0;border:0;border-radius:6px;background:transparent;color:#1a1a1a;font-size:22px;line-height:1}' +
      '.tp-close:hover{background:#eef2f8}' +
      '.tp-scores{display:grid;grid-template-columns:repeat(var(--tp-n),minmax(0,1fr));gap:4px}' +
      '.tp-score{min-width:0;min-height:36px;padding:0;border:1px solid #1f5fbf;border-radius:6px;background:#fff;color:#1f5fbf;font-weight:600}' +
      '.tp-score:hover,.tp-sel{background:#1f5fbf;color:#fff}' +
      '.tp-labels{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:12px;color:#4a4a4a}' +
      '.tp-labels span:last-child{text-align:right}' +
      '.tp-label{display:block;margin-bottom:6px;font-weight:600}' +
      '.tp-hint{display:block;margin-top:2px;font-size:12px;font-weight:400;color:#4a4a4a}' +
      '.tp-comment{display:block;width:100%;min-height:72px;resize:vertical;padding:8px;border:1px solid #6b6b6b;border-radius:6px;background:#fff;color:#1a1a1a}' +
      '.tp-send{margin-top:8px;min-height:36px;padding:0 16px;border:0;border-radius:6px;background:#1f5fbf;color:#fff;font-weight:600}' +
      '.tp-send:hover{background:#184c99}' +
      '.tp-card :focus{outline:2px solid #1f5fbf;outline-offset:2px}' +
      '.tp-error{margin:8px 0 0;font-size:13px;color:#b00020}' +
      '.tp-thanks{font-size:16px;font-weight:600}' +
      '.tp-error:empty,.tp-thanks:empty{margin:0}' +
      '@media (max-width:480px){.tp-card{left:0;right:0;bottom:0;width:100%;max-width:none;max-height:90vh;border-radius:12px 12px 0 0;padding-bottom:calc(16px + env(safe-area-inset-bottom,0px))}.tp-many{grid-template-columns:repeat(6,minmax(0,1fr))}}';

    const show = (d) => {
      if (!document.body || document.getElementById('touchpoint-widget')) return;
      const t = d.texts && typeof d.texts === 'object' ? d.texts : {};
      const tx = (k, f) => (typeof t[k] === 'string' && t[k] ? t[k] : f);
      const id = d.invitation;
      const { min, max } = d;
      const prev = document.activeElement;
      let closed = false, scored = null, busy = false, done = false, hover = false, held = false, quiet = false, timer = 0;

      const host = el('div', null, null, { id: 'touchpoint-widget' });
      const root = host.attachShadow({ mode: 'open' });
      root.appendChild(el('style', null, CSS));
      const card = el('div', 'tp-card', null, { role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'tp-h' });
      if (typeof d.locale === 'string' && /^[a-z]{2,3}(-[a-z0-9]+)*$/i.test(d.locale)) card.setAttribute('lang', d.locale);
      const head = el('div', 'tp-head');
      const closeBtn = el('button', 'tp-close', null, { type: 'button', 'aria-label': tx('close', 'Close') });
      closeBtn.appendChild(el('span', null, '\u00d7', { 'aria-hidden': 'true' }));
      head.append(el('h2', 'tp-title', tx('dialog', 'Quick question'), { id: 'tp-h' }), closeBtn);
      const body = el('div', 'tp-body');
      const error = el('p', 'tp-error', null, { 'aria-live': 'polite' });
      const thanks = el('div', 'tp-thanks', null, { role: 'status' });
      card.append(head, body, error, thanks);
      root.appendChild(card);

      const focus = (e) => {
        quiet = true;
        try { e.focus(); } catch (_) {}
        quiet = false;
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => { if (!hover && !held) close(); }, 4000);
      };
      const close = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        if (scored == null) post('dismiss', { invitation: id }).catch(noop);
        const a = document.activeElement;
        const ours = !a || a === host || a === document.body;
        host.remove();
        if (ours && prev && prev !== document.body && prev.isConnected && typeof prev.focus === 'function') {
          try { prev.focus({ preventScroll: true }); } catch (_) {}
        }
      };
      const finish = () => {
        done = true;
        held = false;
        body.replaceChildren();
        error.textContent = '';
        thanks.textContent = typeof d.thank_you === 'string' ? d.thank_you : '';
        focus(closeBtn);
        arm();
      };
      const answer = (extra, ok) => {
        if (busy) return;
        busy = true;
        card.setAttribute('aria-busy', 'true');
        error.textContent = '';
        post('answer', Object.assign({ invitation: id }, extra))
          .then((r) => r.ok, () => false)
          .then((good) => {
            busy = false;
            card.removeAttribute('aria-busy');
            if (closed) return;
            if (good) ok();
            else error.textContent = tx('error', 'That did not work. Please try again.');
          })
          .catch(noop);
      };
      const commentStep = () => {
        body.replaceChildren();
        error.textContent = '';
        const label = el('label', 'tp-label', null, { for: 'tp-c' });
        label.append(el('span', 'tp-prompt', d.comment_prompt), el('span', 'tp-hint', tx('comment', 'Comment (optional)')));
        const area = el('textarea', 'tp-comment', null, { id: 'tp-c', maxlength: '2000', rows: '3' });
        const send = el('button', 'tp-send', tx('send', 'Send'), { type: 'button' });
        send.addEventListener('click', () => {
          const c = area.value.trim().slice(0, 2000);
          if (!c) finish();
          else answer({ score: scored, comment: c }, finish);
        });
        body.append(label, area, send);
        focus(area);
      };

      body.appendChild(el('p', 'tp-q', d.question, { id: 'tp-q' }));
      const group = el('div', 'tp-scores' + (max - min > 6 ? ' tp-many' : ''), null, { role: 'group', 'aria-labelledby': 'tp-q' });
      group.style.setProperty('--tp-n', String(max - min + 1));
      const pattern = tx('score', '{score} of {max}');
      for (let n = min; n <= max; n++) {
        const b = el('button', 'tp-score', n, {
          type: 'button',
          'data-score': n,
          'aria-label': pattern.replace(/\{score\}/g, () => n).replace(/\{max\}/g, () => max)
        });
        b.addEventListener('click', () => {
          if (busy) return;
          for (const o of group.children) o.classList.toggle('tp-sel', o === b);
          answer({ score: n }, () => {
            scored = n;
            if (typeof d.comment_prompt === 'string' && d.comment_prompt) commentStep();
            else finish();
          });
        });
        group.appendChild(b);
      }
      body.appendChild(group);
      if (d.low_label || d.high_label) {
        const labels = el('div', 'tp-labels');
        labels.append(el('span', null, d.low_label || ''), el('span', null, d.high_label || ''));
        body.appendChild(labels);
      }

      closeBtn.addEventListener('click', close);
      card.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' || e.key === 'Esc') {
          e.stopPropagation();
          close();
        }
      });
      card.addEventListener('mouseenter', () => { hover = true; });
      card.addEventListener('mouseleave', () => { hover = false; if (done) arm(); });
      card.addEventListener('focusin', () => { if (!quiet) held = true; });
      card.addEventListener('focusout', (e) => {
        if (e.relatedTarget && card.contains(e.relatedTarget)) return;
        held = false;
        if (done) arm();
      });

      document.body.appendChild(host);
      focus(group.firstChild);
    };

    const valid = (d) => d && typeof d === 'object' && d.invitation != null &&
      typeof d.question === 'string' && Number.isInteger(d.min) && Number.isInteger(d.max) &&
      d.max >= d.min && d.max - d.min <= 10;

    let asked = false;
    const run = () => {
      if (asked) return;
      asked = true;
      try {
        post('invitation', { locale })
          .then((r) => (r.status === 200 ? r.json() : null))
          .then((d) => { if (valid(d)) show(d); })
          .catch((e) => { try { console.debug('[touchpoint]', e && e.message); } catch (_) {} });
      } catch (_) {}
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, { once: true });
    else run();
  } catch (_) {}
})();
