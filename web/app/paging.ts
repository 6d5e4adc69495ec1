// authd's lists answer a page at a time (at most 100 rows); the account app shows a whole list, so
// it follows next_page_token to the end (bounded, in case a server kept answering tokens).
const MAX_PAGES = 20;

export async function everyPage<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let token = "";
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextPageToken } = await page(token);
    all.push(...items);
    if (nextPageToken === "") break;
    token = nextPageToken;
  }
  return all;
}
