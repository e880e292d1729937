// A Secret's values on its page, asked from the API (which audits the asking)
// and shown in place: they never travel through a redirect or the session.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-reveal-url]");
  if (!form) return;
  event.preventDefault();
  const out = document.getElementById(form.dataset.revealOut);
  const key = (form.elements.key && form.elements.key.value.trim()) || "";
  const response = await fetch(form.dataset.revealUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
    },
    body: JSON.stringify(key ? { key } : {}),
  });
  const answer = await response.json().catch(() => ({}));
  out.replaceChildren();
  if (!response.ok) {
    const error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    const fields = Object.values(answer.errors || {}).flat();
    error.textContent = fields[0] || answer.detail || response.statusText;
    out.append(error);
    return;
  }
  const table = document.createElement("table");
  table.className = "objects compact";
  table.id = "secret-values-table";
  for (const [name, value] of Object.entries(answer.values || {})) {
    const row = table.insertRow();
    const keyCell = row.insertCell();
    const valueCell = row.insertCell();
    keyCell.textContent = name;
    const code = document.createElement("code");
    code.textContent = value;
    valueCell.append(code);
    if ((answer.binary || []).includes(name)) valueCell.append(" " + form.dataset.binaryNote);
  }
  out.append(table);
});
