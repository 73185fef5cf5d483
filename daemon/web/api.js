// The admin API, called with the key of this tab.
import {t} from './i18n.js';

const KEY_STORAGE = 'amq2api.adminKey';  // sessionStorage only: gone when the tab closes

export const session = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }

  // The key itself stopped working (removed, disabled, expired, no longer admin). A 403 can
  // also be an account's refresh token refused upstream, which says nothing about the key.
  get keyRefused() {
    return this.status === 401 ||
      (this.status === 403 && /not an admin key/.test(this.message));
  }
}

function errorDetail(data, status) {
  if (data && typeof data.detail === 'string') return data.detail;
  if (data && data.detail !== undefined) return JSON.stringify(data.detail);
  if (data && data.error && typeof data.error.message === 'string') return data.error.message;
  return t('the daemon answered HTTP {status}', {status});
}

// Changes sent (any call but a GET): a live refresh that read before one drew stale data.
export let writes = 0;

// One admin API call; resolves to the parsed answer, rejects with the daemon's "detail".
// What to do when the key itself is refused: the page goes back to the sign-in, saying why.
let keyRefused = () => {};

export function whenKeyRefused(handler) {
  keyRefused = handler;
}

export async function api(method, path, body) {
  const key = session.get();
  if (!key) throw new ApiError(401, t('not signed in'));
  const headers = {Authorization: `Bearer ${key}`, Accept: 'application/json'};
  let payload;
  if (body instanceof FormData) {
    payload = body;  // the browser sets multipart/form-data with its boundary
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: payload, credentials: 'omit', cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, t('cannot reach the daemon: {why}', {why: e.message}));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (method !== 'GET') writes += 1;
  if (!response.ok) {
    const error = new ApiError(response.status, errorDetail(data, response.status));
    if (error.keyRefused) keyRefused(error.message);
    throw error;
  }
  return data;
}
