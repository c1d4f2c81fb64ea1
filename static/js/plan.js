/*
 * WIR-Portal: live totals for the cost and financing plan (Kosten- und
 * Finanzierungsplan).
 *
 * Progressive enhancement only: the form works without JavaScript and the
 * server recalculates and validates everything. No dependencies, no inline
 * code (CSP: script-src 'self').
 *
 * Markup contract (one block per plan year):
 *
 *   <section data-plan-year="2025">
 *     <input data-plan-cost name="...">            (any number of inputs)
 *     <input data-plan-income name="...">          (any number of inputs)
 *     <span data-plan-total-cost></span>
 *     <span data-plan-total-income></span>
 *     <span data-plan-difference></span>           (income minus cost)
 *     <div data-plan-live class="visually-hidden" aria-live="polite"></div>
 *   </section>
 *
 * The live region is optional; if it is missing, a visually hidden one is
 * created inside the block. An optional data-plan-label attribute on the
 * block replaces "Jahr <year>" in the announcement.
 *
 * Rows marked for deletion in a Django formset (a checked checkbox whose
 * name ends with "-DELETE" inside the same [data-plan-row] element, or inside
 * the same table row) and disabled inputs are left out of the totals.
 *
 * Accepted input: "1.234,56", "1234,56", "1234.56", "1234", "1.234",
 * "1 234,56", "1.234,56 €", "-50". The rule for a dot without a comma follows
 * Django's sanitize_separators(): a single dot that is not followed by exactly
 * three digits is a decimal point, otherwise dots are thousands separators.
 */
(function (root) {
  "use strict";

  var LIVE_DELAY_MS = 700;

  var currencyFormat = null;

  function getFormat() {
    if (currencyFormat === null) {
      currencyFormat = new Intl.NumberFormat("de-DE", {
        style: "currency",
        currency: "EUR",
      });
    }
    return currencyFormat;
  }

  /**
   * Parse a German (or plain) money string into integer cents.
   * Returns 0 for an empty string and null for anything unparsable.
   */
  function parseAmountToCents(raw) {
    if (raw === null || raw === undefined) {
      return 0;
    }
    var value = String(raw)
      .replace(/[\s\u00a0\u202f]/g, "")
      .replace(/€|EUR/gi, "")
      .replace(/\u2212/g, "-"); // typographic minus sign
    if (value === "") {
      return 0;
    }

    var negative = false;
    if (value.charAt(0) === "-") {
      negative = true;
      value = value.slice(1);
    } else if (value.charAt(0) === "+") {
      value = value.slice(1);
    }

    var integerPart;
    var fractionPart = "";
    var commaIndex = value.indexOf(",");
    if (commaIndex !== -1) {
      // Comma is the decimal separator; dots are thousands separators.
      integerPart = value.slice(0, commaIndex);
      fractionPart = value.slice(commaIndex + 1);
      if (!/^(\d{1,3}(\.\d{3})+|\d*)$/.test(integerPart)) {
        return null;
      }
      integerPart = integerPart.replace(/\./g, "");
    } else {
      var dots = value.split(".");
      if (dots.length === 2 && dots[1].length !== 3) {
        // "1234.56", "12.5": dot used as decimal point.
        integerPart = dots[0];
        fractionPart = dots[1];
      } else if (dots.length > 1) {
        // "1.234", "1.234.567": dots are thousands separators.
        if (!/^\d{1,3}(\.\d{3})+$/.test(value)) {
          return null;
        }
        integerPart = value.replace(/\./g, "");
      } else {
        integerPart = value;
      }
    }

    if (!/^\d*$/.test(integerPart) || !/^\d*$/.test(fractionPart)) {
      return null;
    }
    if (integerPart === "" && fractionPart === "") {
      return null;
    }
    if (integerPart.length > 13) {
      return null; // beyond any plausible amount; avoids float precision loss
    }

    var cents = parseInt(integerPart || "0", 10) * 100;
    if (fractionPart !== "") {
      // Round half up to whole cents.
      var padded = (fractionPart + "000").slice(0, 3);
      var thousandths = parseInt(padded, 10);
      cents += Math.floor(thousandths / 10);
      if (thousandths % 10 >= 5) {
        cents += 1;
      }
    }
    if (negative && cents !== 0) {
      cents = -cents;
    }
    return cents;
  }

  /** Format integer cents as German currency, e.g. "1.234,56 €". */
  function formatCents(cents) {
    return getFormat().format(cents / 100);
  }

  function isMarkedForDeletion(input) {
    var row = input.closest("[data-plan-row]") || input.closest("tr");
    if (!row) {
      return false;
    }
    var boxes = row.querySelectorAll('input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i += 1) {
      var name = boxes[i].getAttribute("name") || "";
      if (
        boxes[i].checked &&
        (/-DELETE$/.test(name) || boxes[i].hasAttribute("data-plan-delete"))
      ) {
        return true;
      }
    }
    return false;
  }

  function sumInputs(block, selector) {
    var inputs = block.querySelectorAll(selector);
    var total = 0;
    var invalid = 0;
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.disabled || isMarkedForDeletion(input)) {
        continue;
      }
      var cents = parseAmountToCents(input.value);
      if (cents === null) {
        invalid += 1;
      } else {
        total += cents;
      }
    }
    return { total: total, invalid: invalid };
  }

  function setText(block, selector, text) {
    var targets = block.querySelectorAll(selector);
    for (var i = 0; i < targets.length; i += 1) {
      // Only update targets that belong to this block, not a nested one.
      if (targets[i].closest("[data-plan-year]") === block) {
        targets[i].textContent = text;
      }
    }
  }

  function getLiveRegion(block) {
    var region = block.querySelector("[data-plan-live]");
    if (!region) {
      region = document.createElement("div");
      region.setAttribute("data-plan-live", "");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
      region.className = "visually-hidden";
      block.appendChild(region);
    } else if (!region.hasAttribute("aria-live")) {
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
    }
    return region;
  }

  function describe(block, cost, income, difference, invalid) {
    var label =
      block.getAttribute("data-plan-label") ||
      "Jahr " + block.getAttribute("data-plan-year");
    var text =
      label +
      ": Gesamtkosten " +
      formatCents(cost) +
      ", Finanzierung " +
      formatCents(income) +
      ", Differenz " +
      formatCents(difference) +
      ".";
    if (difference === 0 && cost > 0 && invalid === 0) {
      text += " Der Plan ist ausgeglichen.";
    }
    if (invalid > 0) {
      text +=
        invalid === 1
          ? " Ein Betrag ist ungültig und wurde nicht mitgerechnet."
          : " " + invalid + " Beträge sind ungültig und wurden nicht mitgerechnet.";
    }
    return text;
  }

  /** Recalculate one [data-plan-year] block. */
  function updateBlock(block, announce) {
    var cost = sumInputs(block, "[data-plan-cost]");
    var income = sumInputs(block, "[data-plan-income]");
    var difference = income.total - cost.total;

    setText(block, "[data-plan-total-cost]", formatCents(cost.total));
    setText(block, "[data-plan-total-income]", formatCents(income.total));
    setText(block, "[data-plan-difference]", formatCents(difference));

    var diffTargets = block.querySelectorAll("[data-plan-difference]");
    for (var i = 0; i < diffTargets.length; i += 1) {
      diffTargets[i].classList.toggle("plan-difference--balanced", difference === 0);
      diffTargets[i].classList.toggle("plan-difference--unbalanced", difference !== 0);
      diffTargets[i].setAttribute("data-plan-balanced", difference === 0 ? "true" : "false");
    }

    var region = getLiveRegion(block);
    if (announce) {
      // Debounced so screen readers do not announce every keystroke.
      if (block._wirPlanTimer) {
        root.clearTimeout(block._wirPlanTimer);
      }
      var text = describe(block, cost.total, income.total, difference, cost.invalid + income.invalid);
      block._wirPlanTimer = root.setTimeout(function () {
        region.textContent = text;
      }, LIVE_DELAY_MS);
    }

    return { cost: cost.total, income: income.total, difference: difference };
  }

  function updateAll(scope) {
    var container = scope && scope.querySelectorAll ? scope : document;
    var blocks = container.querySelectorAll("[data-plan-year]");
    for (var i = 0; i < blocks.length; i += 1) {
      updateBlock(blocks[i], false);
    }
    if (container !== document && container.matches && container.matches("[data-plan-year]")) {
      updateBlock(container, false);
    }
  }

  function onChange(event) {
    var target = event.target;
    if (!target || !target.closest) {
      return;
    }
    var block = target.closest("[data-plan-year]");
    if (!block) {
      return;
    }
    var relevant =
      target.matches("[data-plan-cost], [data-plan-income]") ||
      (target.type === "checkbox" &&
        (/-DELETE$/.test(target.name || "") || target.hasAttribute("data-plan-delete")));
    if (relevant) {
      updateBlock(block, true);
    }
  }

  /**
   * "Kostenzeile hinzufügen": append a row to a cost formset from its
   * <template data-plan-empty-row="PREFIX"> (Django's empty_form with
   * __prefix__ as the form index and __row__ as the visible row number),
   * raise PREFIX-TOTAL_FORMS and move the focus to the new row. Without
   * JavaScript the button stays hidden and the server-side "weitere
   * Kostenzeilen" button does the same with a round trip.
   */
  function addRow(button) {
    var prefix = button.getAttribute("data-plan-add-row");
    var block = button.closest("[data-plan-year]") || document;
    var template = block.querySelector('template[data-plan-empty-row="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var table = button.closest("table");
    var body = table ? table.querySelector("tbody") : null;
    if (!template || !total || !body) {
      return null;
    }
    var index = parseInt(total.value, 10) || 0;
    if (max && index >= (parseInt(max.value, 10) || Infinity)) {
      return null;
    }
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__row__/g, String(index + 1));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    body.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("select, input:not([type=hidden]), textarea");
    if (first) {
      first.focus();
    }
    if (block !== document) {
      getLiveRegion(block).textContent = "Zeile " + (index + 1) + " hinzugefügt.";
    }
    return row;
  }

  function init() {
    var addButtons = document.querySelectorAll("[data-plan-add-row]");
    for (var i = 0; i < addButtons.length; i += 1) {
      var wrapper = addButtons[i].closest("[hidden]");
      if (wrapper) {
        wrapper.hidden = false;
      }
    }
    document.addEventListener("click", function (event) {
      var button = event.target && event.target.closest ? event.target.closest("[data-plan-add-row]") : null;
      if (button) {
        event.preventDefault();
        addRow(button);
      }
    });
    document.addEventListener("input", onChange);
    document.addEventListener("change", onChange);
    // Rows added or replaced by htmx.
    document.addEventListener("htmx:load", function (event) {
      var el = event.target;
      var block = el && el.closest ? el.closest("[data-plan-year]") : null;
      if (block) {
        updateBlock(block, false);
      } else {
        updateAll(el);
      }
    });
    updateAll(document);
  }

  var api = {
    parseAmountToCents: parseAmountToCents,
    formatCents: formatCents,
    updateBlock: updateBlock,
    updateAll: updateAll,
    addRow: addRow,
  };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  }

  if (typeof document !== "undefined") {
    root.WIRPlan = api;
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  }
})(typeof window !== "undefined" ? window : globalThis);
