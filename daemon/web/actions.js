// Running an action behind a control: the control is disabled meanwhile, and a refusal is
// shown where it belongs, unless the key itself was refused (the page has signed out then).
import {showMessage, showFormError} from './page.js';
import {ApiError} from './api.js';

async function run(control, action, show) {
  if (control) control.disabled = true;
  try {
    return await action();
  } catch (e) {
    if (!(e instanceof ApiError && e.keyRefused)) show(e.message);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}

// A button's action: a refusal goes to the message above the view.
export function guarded(control, action) {
  return run(control, action, (text) => showMessage(text, 'error'));
}

// A form's submit: a refusal goes to the form's own error box, which takes the focus.
export function submitForm(submit, errorId, action) {
  showFormError(errorId, '');
  return run(submit, action, (text) => showFormError(errorId, text));
}
