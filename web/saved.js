// @ts-check
// What this browser remembers between visits: language, theme, lessons read.
//
// A browser that blocks third-party cookies also refuses a page inside another site's frame (an LMS's
// iframe) its localStorage: reading it throws. There the page remembers for this visit only.

const forThisVisit = new Map();

function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * The value saved under `key`, or null.
 * @param {string} key
 * @returns {string | null}
 */
export function savedValue(key) {
  const storage = browserStorage();
  if (storage === null) return forThisVisit.get(key) ?? null;
  return storage.getItem(key);
}

/**
 * @param {string} key
 * @param {string} value
 */
export function saveValue(key, value) {
  const storage = browserStorage();
  if (storage === null) forThisVisit.set(key, value);
  else storage.setItem(key, value);
}
