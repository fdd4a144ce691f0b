import fs from 'node:fs';
import path from 'node:path';
import { viewsDir } from '../http/views.ts';
import type { Metric, Wording } from './model.ts';

const templatesDir = path.resolve(viewsDir, '../surveys/templates');

/** The built-in wording for each metric, in English and German (surveys/templates/*.json). */
export const templates: Record<Metric, Record<string, Wording>> = Object.fromEntries(
  (['nps', 'csat', 'ces'] as const).map((metric) => [
    metric,
    JSON.parse(fs.readFileSync(path.join(templatesDir, `${metric}.json`), 'utf8')).content,
  ]),
) as Record<Metric, Record<string, Wording>>;
