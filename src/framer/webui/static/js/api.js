// Calls to the framer server's JSON API (framer.webui.app): the page header it needs, its one-sentence errors.

const PAGE_HEADER = { 'X-Framer-Request': '1' }; // every POST and DELETE carries it

export async function api(method, url, body) {
  const options = { method, headers: {} };
  if (method !== 'GET') Object.assign(options.headers, PAGE_HEADER);
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new Error('The framer server cannot be reached; is `framer serve` still running?');
  }
  if (!response.ok) {
    let message = null;
    try {
      message = (await response.json()).error;
    } catch (error) {
      message = null;
    }
    throw new Error(message || `The server answered ${response.status} ${response.statusText}.`);
  }
  return response.status === 204 ? null : response.json();
}

// Remove a keyframe set, also while the page goes away (keepalive); errors are of no interest then.
export function deleteKeyframeSet(id) {
  fetch(`/api/keyframes/${id}`, { method: 'DELETE', headers: { ...PAGE_HEADER }, keepalive: true }).catch(() => {});
}
