// The /v1 API client: the bearer token kept in local storage, JSON in and out, error
// bodies ({"error", "message", "field"}) as ApiError, and the presigned upload sent with
// XMLHttpRequest (which reports upload progress; fetch does not).

const TOKEN_KEY = 'lpt.token';
const USER_KEY = 'lpt.user';

/** An answer other than 2xx: `status`, the API's snake_case `code`, `field` when named. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the server answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = (body && body.error) || `http_${status}`;
    this.field = body && body.field;
  }
}

/** Who is signed in on this device: the user id and token from `POST /v1/users`. */
export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  get userId() {
    return localStorage.getItem(USER_KEY);
  },
  save(userId, token) {
    localStorage.setItem(USER_KEY, userId);
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    localStorage.removeItem(USER_KEY);
    localStorage.removeItem(TOKEN_KEY);
  },
};

/** A path segment, percent-encoded. */
export const seg = (text) => encodeURIComponent(text);

/** A query string from the defined values of `params` (with its `?`), or ''. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== '');
  if (pairs.length === 0) return '';
  return '?' + pairs.map(([key, value]) => `${seg(key)}=${seg(String(value))}`).join('&');
}

function parseBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/**
 * Calls `method /v1{path}` with `body` as JSON (when given) and the session's token;
 * resolves to the parsed answer (null for 204), rejects with an ApiError.
 */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = session.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/v1${path}`, init);
  } catch {
    throw new ApiError(0, { error: 'network', message: 'the server cannot be reached' });
  }
  const data = parseBody(await response.text());
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Sends `file` to the presigned `upload` of `POST /v1/photos` (PUT with its headers, or a
 * POST form with its fields), calling `onProgress(fraction)` as bytes go out.
 */
export function sendUpload(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(upload.method, upload.url);
    let body = file;
    if (upload.method === 'POST') {
      body = new FormData();
      for (const [name, value] of Object.entries(upload.fields || {})) body.append(name, value);
      body.append('file', file);
    } else {
      for (const [name, value] of Object.entries(upload.headers || {})) {
        request.setRequestHeader(name, value);
      }
    }
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(request.status, parseBody(request.responseText)));
      }
    });
    request.addEventListener('error', () => {
      reject(new ApiError(0, { error: 'network', message: 'the upload did not reach the storage' }));
    });
    request.send(body);
  });
}
