// Lab result form: offer only the units allowed for the chosen analyte.
// The allowed units come from the analyte select's data-allowed-units attribute; the server
// checks the unit again, so this is a convenience only.
(function () {
  "use strict";
  var analyte = document.querySelector("select[data-allowed-units]");
  var unit = document.getElementById("id_unit");
  if (!analyte || !unit) {
    return;
  }
  var allowed = JSON.parse(analyte.getAttribute("data-allowed-units"));

  function update() {
    var units = allowed[analyte.value];
    var firstAllowed = null;
    Array.prototype.forEach.call(unit.options, function (option) {
      var ok = !units || units.indexOf(option.value) !== -1;
      option.hidden = !ok;
      option.disabled = !ok;
      if (ok && firstAllowed === null) {
        firstAllowed = option;
      }
    });
    var current = unit.options[unit.selectedIndex];
    if (units && (!current || current.disabled) && firstAllowed) {
      firstAllowed.selected = true;
    }
  }

  analyte.addEventListener("change", update);
  update();
})();
