// Tollgate portals: small improvements on pages that work without this file.
// A chosen request file fills the text box the form sends.
for (const input of document.querySelectorAll('input[type="file"][name="requestFile"]')) {
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    const box = input.form && input.form.querySelector('textarea[name="request"]');
    if (file && box) box.value = await file.text();
  });
}
