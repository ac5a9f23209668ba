// The group pages' small enhancements; every form works without them.
// - A CSV file chosen for the member import is read into the text box (the form posts text, so the
//   file is previewed and imported exactly as shown).
// - The register's Print button.

for (const field of document.querySelectorAll('[data-csv-file]')) {
  field.hidden = false;
  const input = field.querySelector('input[type="file"]');
  input?.addEventListener('change', async () => {
    const target = document.querySelector(input.dataset.fills);
    const file = input.files?.[0];
    if (!file || !target || !('value' in target)) return;
    target.value = await file.text();
  });
}

for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
