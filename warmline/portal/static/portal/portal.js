// Public site: show promised times in the visitor's own time zone ("today, 11:30").
(function () {
  "use strict";
  function dayWord(date) {
    var today = new Date();
    var tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
    if (date.toDateString() === today.toDateString()) return "today";
    if (date.toDateString() === tomorrow.toDateString()) return "tomorrow";
    return date.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "short" });
  }
  function localize() {
    var nodes = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (isNaN(when.getTime())) continue;
      var clock = when.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
      nodes[i].textContent = dayWord(when) + ", " + clock;
      nodes[i].title = when.toString();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", localize);
  else localize();
})();
