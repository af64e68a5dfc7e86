// The admin console's Users page: search the directory by user principal name or display name, and list the matches with a link to each user's page.
// @ts-check

import { $, api, control, errorOf, fill, h, me, showError } from './kw.js';
import { runPage } from './admin-answers.js';

/** @typedef {import('./kw.js').Json} Json */

async function usersPage() {
  await me();
  const form = /** @type {HTMLFormElement} */ ($('#user-search'));
  const table = $('#results');
  const status = $('#results-status');
  const more = $('#more');
  /** @type {string | null} */
  let next = null;
  const params = new URLSearchParams(location.search);
  const searchBox = control(form, 'search');
  searchBox.value = params.get('search') || '';

  /**
   * Shows a page of matches, in place of the list or after it.
   * @param {string} url
   * @param {boolean} append
   */
  async function load(url, append) {
    fill(status, 'Searching…');
    const answer = await api('GET', url);
    if (!answer.ok) {
      showError(status, errorOf(answer));
      return;
    }
    const rows = (answer.body.value || []).map((u) => h('tr', {},
      h('td', {}, h('a', { href: '/admin/users/' + encodeURIComponent(u.id), text: u.displayName })),
      h('td', { class: 'break', text: u.userPrincipalName }),
      h('td', { text: u.userType + (u.accountEnabled ? '' : ' (disabled)') }),
      h('td', { text: (u.roles || []).join(', ') || '—' })));
    const body = $('tbody', table);
    if (append) body.append(...rows);
    else fill(body, rows);
    table.hidden = body.children.length === 0;
    status.className = 'status muted';
    fill(status, body.children.length ? body.children.length + ' user(s) shown.' : 'No user matches.');
    next = answer.body['@odata.nextLink'] || null;
    more.hidden = !next;
  }

  function search() {
    const query = searchBox.value.trim();
    const url = new URL(location.href);
    if (query) url.searchParams.set('search', query);
    else url.searchParams.delete('search');
    history.replaceState(null, '', url);
    load('/v1/users?top=50' + (query ? '&search=' + encodeURIComponent(query) : ''), false);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  more.addEventListener('click', () => next && load(next, true));
  search();
}

runPage(usersPage);
