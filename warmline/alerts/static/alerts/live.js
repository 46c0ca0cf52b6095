/* Warmline live events: one EventSource per tab on /alerts/stream.
 *
 * Every frame is {id, event, data, at}. For each one this script dispatches a DOM
 * CustomEvent "warmline:<event>" on document (detail = data, plus detail.live_id), so any
 * page part can react (the Today questions panel listens to "warmline:question").
 * "alert" events also show a toast, raise a browser notification when permitted and bump
 * the unread badge; "alert.ack" removes the toast and updates the badge.
 * Duplicates (the server may deliver an event on two paths) are dropped by event id; on a
 * reconnect the browser sends Last-Event-ID and the server replays what was missed.
 */
(function () {
  "use strict";
  if (!("EventSource" in window) || window.__warmlineLive) return;
  window.__warmlineLive = true;

  var script = document.currentScript;
  var streamUrl = (script && script.dataset.stream) || "/alerts/stream";
  var since = (script && script.dataset.since) || String(Date.now() / 1000);
  var seen = new Set();
  var lastId = null;
  var source = null;
  var retryMs = 2000;
  var unread = null;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  /* --- unread badge ------------------------------------------------------------------ */
  function setUnread(n) {
    if (typeof n !== "number" || n < 0) return;
    unread = n;
    document.querySelectorAll("[data-alerts-badge]").forEach(function (badge) {
      var count = badge.querySelector("[data-alerts-count]");
      if (count) {
        count.textContent = n > 99 ? "99+" : String(n);
        count.hidden = n === 0;
      }
      badge.setAttribute(
        "aria-label",
        n === 0 ? "Alerts, none waiting" : "Alerts, " + n + " waiting to be acknowledged"
      );
      badge.classList.toggle("has-unread", n > 0);
    });
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
  }

  /* --- toasts -------------------------------------------------------------------------- */
  function toastRegion() {
    var region = document.getElementById("wl-toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "wl-toasts";
      region.className = "wl-toasts";
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", "Live alerts");
      document.body.appendChild(region);
    }
    return region;
  }

  function removeToast(uuid) {
    var toast = document.querySelector('.wl-toast[data-uuid="' + uuid + '"]');
    if (toast) toast.remove();
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showToast(alert) {
    removeToast(alert.uuid);
    var region = toastRegion();
    var toast = el("div", "wl-toast");
    toast.dataset.uuid = alert.uuid;
    toast.setAttribute("role", "alert");

    var title = el("a", "wl-toast-title", alert.title);
    title.href = alert.url || alert.detail_url;
    toast.appendChild(title);
    if (alert.escalated && alert.recipient) {
      toast.appendChild(el("p", "wl-toast-meta", "Escalated: not yet acknowledged by " + alert.recipient));
    }
    if (alert.body) toast.appendChild(el("p", "wl-toast-body", alert.body));

    var actions = el("div", "wl-toast-actions");
    var ack = el("button", "wl-btn wl-btn-primary", "Acknowledge");
    ack.type = "button";
    ack.addEventListener("click", function () {
      ack.disabled = true;
      fetch(alert.ack_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (body) {
          removeToast(alert.uuid);
          if (!alert.escalated) setUnread(body.unread);
        })
        .catch(function () {
          ack.disabled = false;
          ack.textContent = "Try again";
        });
    });
    actions.appendChild(ack);
    var open = el("a", "wl-btn", "Open");
    open.href = alert.url || alert.detail_url;
    actions.appendChild(open);
    if ("Notification" in window && Notification.permission === "default") {
      var enable = el("button", "wl-linkish", "Desktop notifications");
      enable.type = "button";
      enable.setAttribute("data-alerts-notify-enable", "");
      enable.addEventListener("click", askPermission);
      actions.appendChild(enable);
    }
    var close = el("button", "wl-toast-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.title = "Hide this notice (the alert stays on the Alerts page)";
    close.addEventListener("click", function () {
      toast.remove();
    });
    toast.appendChild(close);
    toast.appendChild(actions);

    region.insertBefore(toast, region.firstChild);
    // Keep the stack short: the alerts page lists everything.
    var toasts = region.querySelectorAll(".wl-toast");
    for (var i = 3; i < toasts.length; i++) toasts[i].remove();
  }

  /* --- browser notifications ------------------------------------------------------------ */
  function notify(alert) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var n = new Notification(alert.title, {
        body: alert.body || "",
        tag: "warmline-alert-" + alert.uuid, // one notification per alert, however many tabs
      });
      n.onclick = function () {
        window.focus();
        window.location.href = alert.url || alert.detail_url;
        n.close();
      };
    } catch (e) {
      /* some mobile browsers only allow notifications from a service worker */
    }
  }

  function askPermission(event) {
    if (!("Notification" in window)) return;
    Notification.requestPermission().then(refreshPermissionButtons);
    if (event) event.preventDefault();
  }

  function refreshPermissionButtons() {
    var show = "Notification" in window && Notification.permission === "default";
    document.querySelectorAll("[data-alerts-notify-enable]").forEach(function (button) {
      if (!show) {
        if (button.closest(".wl-toast")) button.remove();
        else button.hidden = true;
      } else {
        button.hidden = false;
      }
    });
  }

  /* --- the stream ------------------------------------------------------------------------- */
  function handle(envelope) {
    if (envelope.id != null) {
      if (seen.has(envelope.id)) return;
      seen.add(envelope.id);
      if (seen.size > 1000) seen.delete(seen.values().next().value);
      if (lastId === null || envelope.id > lastId) lastId = envelope.id;
    }
    var data = envelope.data || {};
    if (envelope.event === "hello") {
      setUnread(data.unread);
    } else if (envelope.event === "alert") {
      showToast(data);
      notify(data);
      if (!data.escalated && typeof data.unread === "number") setUnread(data.unread);
    } else if (envelope.event === "alert.ack") {
      removeToast(data.uuid);
      if (typeof data.unread === "number") setUnread(data.unread);
    }
    var detail = Object.assign({ live_id: envelope.id, live_at: envelope.at }, data);
    document.dispatchEvent(new CustomEvent("warmline:" + envelope.event, { detail: detail }));
  }

  function connect() {
    var url = streamUrl + (streamUrl.indexOf("?") < 0 ? "?" : "&");
    url += lastId !== null ? "last_event_id=" + lastId : "since=" + encodeURIComponent(since);
    source = new EventSource(url, { withCredentials: true });
    document.documentElement.dataset.live = "connecting";
    source.onopen = function () {
      retryMs = 2000;
      document.documentElement.dataset.live = "open";
    };
    source.onmessage = function (message) {
      try {
        handle(JSON.parse(message.data));
      } catch (e) {
        if (window.console) console.warn("warmline live: bad event", e);
      }
    };
    source.onerror = function () {
      document.documentElement.dataset.live = "reconnecting";
      // The browser retries by itself (with Last-Event-ID) unless the stream was refused,
      // e.g. by a proxy or after signing out; then retry ourselves, more slowly each time.
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 60000);
      }
    };
  }

  function start() {
    document.querySelectorAll("[data-alerts-notify-enable]").forEach(function (button) {
      button.addEventListener("click", askPermission);
    });
    refreshPermissionButtons();
    connect();
  }

  window.addEventListener("pagehide", function () {
    if (source) source.close();
    source = null;
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !source) connect(); // back from the back/forward cache
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.warmlineLive = {
    unread: function () {
      return unread;
    },
    lastId: function () {
      return lastId;
    },
  };
})();
