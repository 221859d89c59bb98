// internpack serve: show a part of the form only when it applies (data-when-field / data-when-in, or
// data-when-given: when that field is filled in; from fields.yaml). The server applies the same conditions to what
// it checks, saves and builds.
(function () {
  "use strict";
  function valueOf(form, name) {
    var checked = form.querySelector('input[type="radio"][name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var el = form.elements.namedItem(name);
    if (el && "value" in el) { return el.value || (name === "expenses.paid_by" ? "host" : ""); }
    return name === "expenses.paid_by" ? "host" : "";
  }
  function apply(form) {
    form.querySelectorAll("[data-when-field]").forEach(function (part) {
      var value = valueOf(form, part.getAttribute("data-when-field"));
      if (part.hasAttribute("data-when-given")) {
        part.hidden = !value.trim();
      } else {
        part.hidden = part.getAttribute("data-when-in").split(" ").indexOf(value) < 0;
      }
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form) { apply(form); }
  });
  // an upload fills in its field's name (the stationery's margins then apply)
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (form) { apply(form); }
  });
  // once the user has asked for a full check (or a build), every later check shows every problem
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-submit]") : null;
    var flag = button && button.form ? button.form.querySelector("#submitted") : null;
    if (flag) { flag.value = "1"; }
  }, true);
  // "Download the YAML file": a plain POST of the form to its action (/save), which the browser downloads
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-save]") : null;
    if (button && button.form) { button.form.submit(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(apply);
  });
  // after "Check everything" or a failed build, bring the error summary into view
  document.addEventListener("htmx:afterSettle", function (event) {
    var summary = document.querySelector("#summary .summary, #result .summary");
    if (summary && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
        event.detail.requestConfig.triggeringEvent.type === "click") {
      summary.scrollIntoView({block: "start"});
    }
  });
})();
