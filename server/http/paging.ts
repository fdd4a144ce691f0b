/** Where one page of a long list stands, for the page-links partial (views/partials/page-links.hbs). */
export interface PageView {
  page: number;
  pages: number;
  /** Positions of the first and last item shown (1-based); 0 when the page is empty. */
  first: number;
  last: number;
  /** The page asked for is past the last one (and the list is not empty). */
  pastEnd: boolean;
  /** Links to the neighbouring pages and to the last page, filters kept. */
  previous: string | null;
  next: string | null;
  lastPage: string;
}

/** Page `page` of `total` items, `size` a page, of which `shown` are on it; `link(n)` is page n's address. */
export function pageView(page: number, size: number, total: number, shown: number, link: (n: number) => string): PageView {
  const pages = Math.max(1, Math.ceil(total / size));
  const first = shown ? (page - 1) * size + 1 : 0;
  return {
    page,
    pages,
    first,
    last: shown ? first + shown - 1 : 0,
    pastEnd: total > 0 && page > pages,
    previous: page > 1 ? link(Math.min(page - 1, pages)) : null,
    next: page < pages ? link(page + 1) : null,
    lastPage: link(pages),
  };
}
