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

// The test-send form offers only the channels the chosen address can carry: an email address
// takes email, a phone number SMS and Zalo, a zalo: id Zalo; a webhook takes any.
(function () {
  "use strict";
  var recipient = document.getElementById("test-recipient");
  var channel = document.getElementById("test-channel");
  if (!recipient || !channel) { return; }
  function fits(address, name) {
    if (name === "webhook") { return true; }
    if (address.indexOf("@") >= 0) { return name === "email"; }
    if (address.indexOf("zalo:") === 0) { return name === "zalo"; }
    return name === "sms" || name === "zalo";
  }
  function offer() {
    var address = recipient.value, first = null;
    Array.prototype.forEach.call(channel.options, function (o) {
      o.disabled = !fits(address, o.value);
      o.hidden = o.disabled;
      if (!o.disabled && first === null) { first = o; }
    });
    if (channel.selectedOptions.length && channel.selectedOptions[0].disabled && first) { first.selected = true; }
  }
  recipient.addEventListener("change", offer);
  offer();
})();
