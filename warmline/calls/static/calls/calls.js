/* Call mode: keyboard-driven logging. The key bindings come from the server
 * (warmline/calls/keys.py, rendered as JSON in #call-keymap), so the page, the help
 * overlay and the keystroke benchmark agree. Everything here also works by clicking /
 * tapping: the keys only press the same buttons. */
(function () {
  "use strict";

  var keymapEl = document.getElementById("call-keymap");
  if (!keymapEl) return;
  var bindings = JSON.parse(keymapEl.textContent);
  var actionsByKey = {};
  bindings.forEach(function (b) {
    (actionsByKey[b.key] = actionsByKey[b.key] || []).push(b.action);
  });

  var stage = document.getElementById("call-stage");
  var busy = false;
  var countdownTimer = null;

  function $(selector) { return stage.querySelector(selector); }
  function logForm() { return document.getElementById("log-form"); }
  function pickedOutcome() {
    var form = logForm();
    return form ? form.querySelector("input[name=outcome]:checked") : null;
  }
  function isTextField(el) {
    if (!el || !el.matches) return false;
    if (el.matches("textarea, select, [contenteditable=true]")) return true;
    return el.matches("input") && !el.matches("[type=radio], [type=checkbox], [type=button], [type=submit]");
  }
  function check(id) {
    var input = document.getElementById(id);
    if (!input) return false;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }
  function nudge(selector) {
    var el = $(selector);
    if (!el) return;
    el.classList.remove("cm-nudge");
    void el.offsetWidth; // restart the animation
    el.classList.add("cm-nudge");
  }

  var outcomes = ["connected", "voicemail", "no_answer", "wrong_number", "do_not_call"];
  var callbacks = {
    callback_none: "cb-none",
    callback_later: "cb-later",
    callback_tomorrow: "cb-tomorrow",
    callback_next_week: "cb-next_week",
    callback_custom: "cb-custom",
  };

  function run(action) {
    if (outcomes.indexOf(action) >= 0) {
      return check("o-" + action);
    }
    if (callbacks[action]) {
      if (!pickedOutcome()) { nudge(".cm-outcomes"); return true; }
      check(callbacks[action]);
      if (action === "callback_custom") {
        var at = document.getElementById("cm-callback-at");
        if (at) at.focus();
      }
      return true;
    }
    switch (action) {
      case "dial": {
        var dial = document.getElementById("cm-dial");
        if (!dial) return false;
        stage.classList.add("cm-dialled");
        dial.click();
        return true;
      }
      case "save": {
        var form = logForm();
        if (!form || !pickedOutcome()) return false;
        form.requestSubmit();
        return true;
      }
      case "note": {
        if (!pickedOutcome()) { nudge(".cm-outcomes"); return true; }
        var note = document.getElementById("cm-note-input");
        if (note) note.focus();
        return true;
      }
      case "skip": {
        var skip = document.getElementById("skip-form");
        if (!skip) return false;
        skip.requestSubmit();
        return true;
      }
      case "undo": {
        var undo = stage.querySelector(".cm-undo-form");
        if (!undo) return false;
        undo.requestSubmit();
        return true;
      }
      case "cancel": {
        // Esc closes the help first; only then does it clear the outcome picked.
        if (help && !help.hidden) { toggleHelp(false); return true; }
        var picked = pickedOutcome();
        if (picked) { picked.checked = false; check("cb-none"); }
        return true;
      }
      case "help":
        toggleHelp();
        return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.isComposing) return;
    var target = ev.target;
    if (isTextField(target)) {
      if (ev.key === "Escape") { target.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        if (run("save")) ev.preventDefault();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    // Enter and Space on a focused link or button keep their usual meaning.
    if ((ev.key === "Enter" || ev.key === " ") && target.matches && target.matches("a, button, summary")) return;
    var key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    var actions = actionsByKey[key];
    if (!actions) return;
    var action = actions[0];
    if (actions.indexOf("save") >= 0 && actions.indexOf("dial") >= 0) {
      action = pickedOutcome() ? "save" : "dial";
    }
    if (busy) { ev.preventDefault(); return; }
    if (run(action)) ev.preventDefault();
  });

  /* The voicemail script shows once voicemail is picked (key or tap): bring it into view,
   * above the sticky Log & next bar (on a phone it starts below the fold). */
  stage.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input || input.name !== "outcome" || input.value !== "voicemail") return;
    var script = stage.querySelector(".cm-script");
    if (script) script.scrollIntoView({ block: "nearest" });
  });

  /* Help overlay */
  var help = document.getElementById("cm-help");
  var helpBtn = document.getElementById("cm-help-btn");
  function toggleHelp(show) {
    if (!help) return;
    var open = show === undefined ? help.hidden : show;
    help.hidden = !open;
    if (helpBtn) helpBtn.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (helpBtn) helpBtn.addEventListener("click", function () { toggleHelp(); });
  var helpClose = document.getElementById("cm-help-close");
  if (helpClose) helpClose.addEventListener("click", function () { toggleHelp(false); });

  /* Undo countdown: the button disappears when the window has passed. */
  function startCountdown() {
    if (countdownTimer) { clearInterval(countdownTimer); countdownTimer = null; }
    var button = stage.querySelector(".cm-undo");
    if (!button) return;
    var left = parseInt(button.getAttribute("data-seconds"), 10) || 0;
    var label = button.querySelector(".cm-countdown");
    function tick() {
      if (left <= 0) {
        var toast = stage.querySelector(".cm-toast");
        if (toast) toast.remove();
        clearInterval(countdownTimer);
        countdownTimer = null;
        return;
      }
      if (label) label.textContent = left + "s";
      left -= 1;
    }
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function afterSwap() {
    stage.classList.remove("cm-dialled");
    startCountdown();
    var heading = stage.querySelector("h1[tabindex]");
    // A refused log comes back as the same card with its errors marked: show the first one
    // (it may be below the fold) instead of the top, or Enter looks as if it did nothing.
    var error = stage.querySelector(".cm-errors, .cm-log .error");
    if (heading) heading.focus({ preventScroll: true });
    if (error) error.scrollIntoView({ block: "center" });
    else window.scrollTo(0, 0);
  }

  /* While a request is out, keys are ignored (no double logging). The form that sent it is
   * usually swapped out before htmx:afterRequest fires on it, and events on a detached
   * element never reach the document: so the swap itself, any error, or a safety timer
   * ends the busy state. */
  var busyTimer = null;
  function setBusy(on) {
    busy = on;
    if (busyTimer) { clearTimeout(busyTimer); busyTimer = null; }
    if (on) {
      stage.setAttribute("aria-busy", "true");
      busyTimer = setTimeout(function () { setBusy(false); }, 10000);
    } else {
      stage.removeAttribute("aria-busy");
    }
  }
  document.body.addEventListener("htmx:beforeRequest", function (ev) {
    if (stage.contains(ev.target)) setBusy(true);
  });
  document.body.addEventListener("htmx:afterRequest", function () { setBusy(false); });
  document.body.addEventListener("htmx:afterSwap", function (ev) {
    if (!(ev.detail && ev.detail.target === stage)) return;
    // htmx wires up swapped-in forms only when the swap settles (a timer later). A key
    // pressed in between would submit the new card's form as a plain POST (a full page
    // load that loses the undo notice): wire them up now. Processing twice is harmless.
    if (window.htmx) window.htmx.process(stage);
    setBusy(false);
    afterSwap();
  });
  document.body.addEventListener("htmx:responseError", function () {
    setBusy(false);
    var p = document.createElement("p");
    p.className = "cm-notice cm-notice-error";
    p.setAttribute("role", "alert");
    p.textContent = "That did not go through (server error). Nothing was logged twice; try again.";
    stage.prepend(p);
  });
  document.body.addEventListener("htmx:sendError", function () {
    setBusy(false);
    var p = document.createElement("p");
    p.className = "cm-notice cm-notice-error";
    p.setAttribute("role", "alert");
    p.textContent = "No connection. Your outcome is still on the card: press Enter to try again.";
    stage.prepend(p);
  });

  startCountdown();
})();
