export const roles = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** admin can do all an editor can, an editor all a viewer can. */
export const hasRole = (actual: Role, needed: Role): boolean => roles.indexOf(actual) >= roles.indexOf(needed);
