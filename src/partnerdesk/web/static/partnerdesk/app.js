// Drag a card onto another column to move it: the card's own Move form is submitted, so the
// server runs the same guard as the keyboard path and any refusal shows the same way.
// Everything works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  let dragged = null;
  document.querySelectorAll(".card[draggable]").forEach((card) => {
    card.addEventListener("dragstart", (event) => {
      dragged = card;
      event.dataTransfer.setData("text/plain", card.dataset.reference);
      event.dataTransfer.effectAllowed = "move";
    });
    card.addEventListener("dragend", () => { dragged = null; });
  });
  document.querySelectorAll(".column[data-stage]").forEach((column) => {
    column.addEventListener("dragover", (event) => {
      if (dragged && dragged.dataset.stage !== column.dataset.stage) {
        event.preventDefault();
        column.classList.add("drop-target");
      }
    });
    column.addEventListener("dragleave", () => column.classList.remove("drop-target"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop-target");
      if (!dragged || dragged.dataset.stage === column.dataset.stage) return;
      const form = dragged.querySelector("form.move");
      const select = form.querySelector("select[name=to]");
      if (![...select.options].some((option) => option.value === column.dataset.stage)) {
        select.add(new Option(column.dataset.stage, column.dataset.stage));
      }
      select.value = column.dataset.stage;
      if (column.dataset.stage === "closed" || column.dataset.stage === "lead") {
        const reason = form.querySelector("input[name=reason]");
        if (!reason.value) {
          const given = window.prompt("Reason for this move:");
          if (given === null) return;
          reason.value = given;
        }
      }
      form.submit();
    });
  });
});
