// Page helpers for the web UI: elements by id, the error message, file downloads, images and select boxes.

export const $ = (id) => document.getElementById(id);

export function showError(message) {
  $('error-text').textContent = message;
  $('error').hidden = false;
}

export function clearError() {
  $('error').hidden = true;
}

export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function loadImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(`Cannot load ${src}.`));
    image.src = src;
  });
}

export function fillSelect(select, values, chosen) {
  select.replaceChildren(
    ...values.map((value) => {
      const option = document.createElement('option');
      option.value = option.textContent = value;
      option.selected = value === chosen;
      return option;
    }),
  );
}
