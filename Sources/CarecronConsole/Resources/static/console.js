// While the text has errors the check has no samples and no plan diff: the last ones stay in
// view, marked as the version before the error, rather than vanishing.
function keepLastResults(results, memory, note) {
  var fresh = results.querySelectorAll("section.diff, section.samples");
  if (fresh.length) {
    memory.sections = Array.prototype.map.call(fresh, function (s) { return s.cloneNode(true); });
    return;
  }
  (memory.sections || []).forEach(function (s) {
    var copy = s.cloneNode(true);
    copy.classList.add("stale");
    var caption = document.createElement("p");
    caption.className = "note";
    caption.textContent = note;
    copy.insertBefore(caption, copy.firstChild.nextSibling);
    results.appendChild(copy);
  });
}

// Live checks for the job editor: the form is posted to the check route as the marketer types,
// and the results (problems at their lines, the plan diff, samples) replace the section below.
// Without this script the "Check" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch) { return; }
  var timer = null, running = 0, memory = {};
  keepLastResults(results, memory, "");
  function check() {
    var ticket = ++running;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-check"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok || r.status === 422 ? r.text() : null; })
      .then(function (html) { if (html !== null && ticket === running) { results.innerHTML = html; keepLastResults(results, memory, form.getAttribute("data-stale")); } })
      .catch(function () { /* the Check button still works */ });
  }
  var area = form.querySelector("textarea"), gutter = form.querySelector(".gutter");
  // The gutter numbers the box's lines and marks those the latest check found a problem on;
  // a problem's link puts the cursor on its line.
  function number() {
    if (!gutter) { return; }
    var bad = {};
    Array.prototype.forEach.call(results.querySelectorAll("li[data-line]"), function (li) {
      bad[li.getAttribute("data-line")] = (bad[li.getAttribute("data-line")] || "") + li.textContent + " ";
    });
    var count = area.value.split("\n").length;
    gutter.textContent = "";
    for (var n = 1; n <= count; n++) {
      var span = document.createElement("span");
      span.id = "line-" + n;
      span.textContent = n;
      if (bad[n]) { span.className = "bad"; span.title = bad[n]; }
      gutter.appendChild(span);
      gutter.appendChild(document.createTextNode("\n"));
    }
  }
  area.addEventListener("scroll", function () { if (gutter) { gutter.scrollTop = area.scrollTop; } });
  results.addEventListener("click", function (e) {
    var li = e.target.closest && e.target.closest("li[data-line]");
    if (!li) { return; }
    e.preventDefault();
    var line = parseInt(li.getAttribute("data-line"), 10), lines = area.value.split("\n"), at = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { at += lines[i].length + 1; }
    area.focus();
    area.setSelectionRange(at, at + (lines[line - 1] || "").length);
    area.scrollTop = Math.max(0, (line - 5) * (area.scrollHeight / Math.max(lines.length, 1)));
  });
  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
  new MutationObserver(number).observe(results, { childList: true });
  number();
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

// The job form: tabs per channel, a live check as one types (each problem moved next to its
// field, the samples and the plan diff kept in view), an SMS counter, a variable picker.
// Without this script every panel shows, and the Check button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("job-form");
  if (!form) { return; }
  var results = document.getElementById("results");

  // Tabs: one panel of each variant at a time.
  Array.prototype.forEach.call(form.querySelectorAll("fieldset.variant"), function (variant) {
    var buttons = variant.querySelectorAll(".tab-bar .tab"), panels = variant.querySelectorAll(".tab-panel");
    function show(id) {
      Array.prototype.forEach.call(panels, function (p) { p.hidden = p.id !== id; });
      Array.prototype.forEach.call(buttons, function (b) { b.classList.toggle("active", b.getAttribute("data-tab") === id); });
    }
    Array.prototype.forEach.call(buttons, function (b) { b.addEventListener("click", function () { show(b.getAttribute("data-tab")); }); });
    if (buttons.length) { show(buttons[0].getAttribute("data-tab")); variant.classList.add("tabbed"); }
  });

  // Problems of the latest check, each under its field.
  function placeProblems() {
    Array.prototype.forEach.call(form.querySelectorAll("ul.field-problems"), function (ul) { ul.innerHTML = ""; ul.parentNode.classList.remove("has-problem"); });
    Array.prototype.forEach.call(results.querySelectorAll("#field-problem-list li[data-field]"), function (li) {
      var ul = form.querySelector("ul.field-problems[data-for='" + li.getAttribute("data-field").replace(/'/g, "") + "']");
      if (!ul) { return; }
      var item = document.createElement("li");
      item.textContent = li.textContent.replace(/^[^:]*:\s*/, "");
      ul.appendChild(item);
      ul.parentNode.classList.add("has-problem");
      var panel = ul.closest(".tab-panel");
      if (panel && panel.hidden) {
        var tab = panel.parentNode.querySelector(".tab[data-tab='" + panel.id + "']");
        if (tab) { tab.classList.add("problem"); }
      }
    });
  }

  var timer = null, running = 0, memory = {};
  keepLastResults(results, memory, "");
  function check() {
    var ticket = ++running;
    fetch(form.getAttribute("data-check"), { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) { return r.ok || r.status === 422 ? r.text() : null; })
      .then(function (html) {
        if (html !== null && ticket === running) { results.innerHTML = html; keepLastResults(results, memory, form.getAttribute("data-stale")); placeProblems(); }
      })
      .catch(function () { /* the Check button still works */ });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 500); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 300); });

  // SMS: characters, parts, GSM-7 or UCS-2, the characters that force UCS-2, the unaccented form.
  var gsm = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var gsmExtended = "^{}\\[~]|€";
  function unaccented(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D");
  }
  function count(area, out) {
    // Counted as the gateway will see it: without accents when the variant says so, and in
    // UTF-16 units for UCS-2 (an emoji is two), as the server counts.
    var plainToggle = form.querySelector("select[name='" + area.name.replace(/\.text$/, ".unaccented") + "']");
    var text = plainToggle && plainToggle.value === "true" ? unaccented(area.value) : area.value, units = 0, forcing = [];
    Array.from(text).forEach(function (ch) {
      if (gsm.indexOf(ch) >= 0) { units += 1; } else if (gsmExtended.indexOf(ch) >= 0) { units += 2; } else if (forcing.indexOf(ch) < 0) { forcing.push(ch); }
    });
    var ucs = forcing.length > 0, length = ucs ? text.length : units;
    var single = ucs ? 70 : 160, multi = ucs ? 67 : 153;
    var parts = length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / multi);
    out.textContent = "";
    var line = document.createElement("span");
    line.textContent = length + " " + form.getAttribute("data-chars") + " · " + parts + " " + form.getAttribute("data-parts") + " · " + (ucs ? "UCS-2" : "GSM-7") + " (" + form.getAttribute("data-note") + ")";
    out.appendChild(line);
    if (ucs) {
      var forces = document.createElement("span");
      forces.className = "forces";
      forces.textContent = " · " + form.getAttribute("data-forces") + ": ";
      forcing.slice(0, 20).forEach(function (ch) {
        var mark = document.createElement("mark");
        mark.textContent = ch;
        forces.appendChild(mark);
      });
      out.appendChild(forces);
      var plain = document.createElement("span");
      plain.className = "unaccented";
      plain.textContent = form.getAttribute("data-unaccented") + ": " + unaccented(text);
      out.appendChild(document.createElement("br"));
      out.appendChild(plain);
    }
  }
  Array.prototype.forEach.call(form.querySelectorAll("textarea.sms"), function (area) {
    var out = form.querySelector(".sms-counter[data-for='" + area.id + "']");
    if (!out) { return; }
    area.addEventListener("input", function () { count(area, out); });
    var plainToggle = form.querySelector("select[name='" + area.name.replace(/\.text$/, ".unaccented") + "']");
    if (plainToggle) { plainToggle.addEventListener("change", function () { count(area, out); }); }
    count(area, out);
  });

  // The variable picker inserts at the cursor of the last template field used.
  var last = null;
  form.addEventListener("focusin", function (e) { if (e.target.classList && e.target.classList.contains("template")) { last = e.target; } });
  var picker = document.getElementById("variable-picker");
  if (picker) {
    picker.addEventListener("change", function () {
      var snippet = picker.value;
      picker.value = "";
      if (!snippet || !last) { return; }
      var start = last.selectionStart, end = last.selectionEnd;
      last.value = last.value.slice(0, start) + snippet + last.value.slice(end);
      last.focus();
      last.selectionStart = last.selectionEnd = start + snippet.length;
      last.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }
})();
