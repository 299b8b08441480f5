// Live checks for the job editor: the form is posted to the check route as the marketer types,
// and the results (problems at their lines, the plan diff, samples) replace the section below.
// Without this script the "Check" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch) { return; }
  var timer = null, running = 0;
  function check() {
    var ticket = ++running;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-check"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok || r.status === 422 ? r.text() : null; })
      .then(function (html) { if (html !== null && ticket === running) { results.innerHTML = html; } })
      .catch(function () { /* the Check button still works */ });
  }
  form.querySelector("textarea").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
})();
