// The board. Drag a card onto another column to move it: the card's own Move form is submitted,
// so the server runs the same guard as the keyboard path (the card's "Move to" list and its Move
// button) and any refusal shows the same way.
// The listeners sit on the document, so cards that htmx adds ("More") can be dragged too.
// Everything works without this script.
"use strict";
(() => {
  let dragged = null;
  const columnOf = (event) => (event.target instanceof Element ? event.target.closest(".column[data-stage]") : null);

  document.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".card[draggable]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("moving");
    event.dataTransfer.setData("text/plain", card.dataset.reference);
    event.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("moving");
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const column = columnOf(event);
    if (column && dragged && dragged.dataset.stage !== column.dataset.stage) {
      event.preventDefault();
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("dragleave", (event) => {
    const column = columnOf(event);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });
  document.addEventListener("drop", (event) => {
    const column = columnOf(event);
    if (!column) return;
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
})();
