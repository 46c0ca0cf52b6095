// Today "Questions" panel: when the live stream (alerts/live.js) reports a question event,
// refetch the panel and swap it in place, so a new question shows without a reload.
// Acknowledge / Mark answered post in the background and swap the panel the server sends
// back; without JavaScript they are ordinary form posts that return to Today.
(function () {
  "use strict";
  var busy = false;
  var again = false;
  var fresh = null;

  function panel() { return document.getElementById("q-panel"); }

  function announce(text) {
    var region = document.getElementById("q-announce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function swap(el, html) {
    el.innerHTML = html;
    updateCount(el);
  }

  function refresh() {
    var el = panel();
    if (!el) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(el.getAttribute("data-panel-url"), {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Accept": "text/html" }
    })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        swap(el, html);
        if (fresh !== null) {
          var item = el.querySelector('[data-question-id="' + fresh + '"]');
          if (item) item.classList.add("q-fresh");
          fresh = null;
        }
      })
      .catch(function () { /* the next event or a reload will catch up */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  // The Today card's header shows the open count; keep it in step with the panel.
  function updateCount(el) {
    var marker = el.querySelector("[data-open-count]");
    var card = el.closest("section");
    var head = card && card.querySelector(".card-head");
    if (!marker || !head) return;
    var n = parseInt(marker.getAttribute("data-open-count"), 10) || 0;
    var badge = head.querySelector(".count");
    if (!badge && n > 0) {
      badge = document.createElement("span");
      badge.className = "count";
      head.appendChild(badge);
    }
    if (!badge) return;
    badge.textContent = String(n);
    badge.setAttribute("aria-label", n + " items");
    badge.hidden = n === 0;
  }

  // alerts/live.js dispatches "warmline:<event>" on document for every live event.
  document.addEventListener("warmline:question", function (event) {
    var data = (event && event.detail) || {};
    if (data.status === "new") {
      fresh = data.id;
      announce("New question from " + (data.contact || "a customer") + ".");
    }
    refresh();
  });

  // Acknowledged from the alert's toast or the alerts page: the panel follows.
  document.addEventListener("warmline:alert.ack", function () { refresh(); });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var el = panel();
    if (!el || !form.hasAttribute || !form.hasAttribute("data-panel-action") || !el.contains(form)) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Accept": "text/html" }
    })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { swap(el, html); })
      .catch(function () { form.submit(); });  // fall back to the plain post
  });
})();
