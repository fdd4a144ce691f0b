import fs from 'node:fs';
import path from 'node:path';
import type { Deps } from '../deps.ts';
import { AppError, NotFoundError } from '../errors.ts';
import { viewsDir } from '../http/views.ts';
import { listSurveys, findSurveyByKey } from './queries.ts';
import { saveSurveyFromFile, setSurveySource } from './service.ts';
import type { SurveyInput } from './schemas.ts';
import { surveyFileContent } from './present.ts';
import { systemActor } from '../audit/record.ts';

const repoRoot = path.resolve(viewsDir, '..');
/** Surveys managed as code: surveys/*.json (surveys/templates/ holds wording templates, not surveys). */
const surveysDir = path.join(repoRoot, 'surveys');

export interface SurveyFileError {
  file: string;
  message: string;
}

// The errors of the last load, for the surveys page; one process loads the files once at start.
let lastErrors: SurveyFileError[] = [];

/** What went wrong in the survey files at the last load. */
export const surveyFileErrors = (): SurveyFileError[] => lastErrors;

/** How a file is named in the database and on pages: relative to the app when inside it. */
const fileLabel = (file: string): string => {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
};

function describe(err: unknown): string {
  if (err instanceof AppError) {
    return err.errors.length ? err.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function readSurveyFile(file: string): SurveyInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must hold one JSON object, a survey');
  const survey = parsed as Record<string, unknown>;
  const nameKey = path.basename(file, '.json');
  if (survey.key === undefined) survey.key = nameKey;
  if (survey.key !== nameKey) throw new Error(`key: "${String(survey.key)}" differs from the file name; name the file ${String(survey.key)}.json`);
  return survey as unknown as SurveyInput;
}

/**
 * Reads surveys/*.json at start: each file creates or replaces its survey,
 * which then belongs to the file (read-only in the UI and the API). A broken
 * file is logged and listed on the surveys page; it stops nothing else.
 */
export async function loadSurveyFiles(deps: Deps, dir: string = surveysDir): Promise<SurveyFileError[]> {
  const errors: SurveyFileError[] = [];
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : [];
  const inputs: { label: string; input: SurveyInput }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      inputs.push({ label: fileLabel(file), input: readSurveyFile(file) });
    } catch (err) {
      errors.push({ file: fileLabel(file), message: describe(err) });
    }
  }
  // Pauses before activations, so that moving "active" from one file's survey to another's works.
  inputs.sort((a, b) => Number(a.input.status === 'active') - Number(b.input.status === 'active'));
  const now = deps.clock.now();
  for (const { label, input } of inputs) {
    try {
      const { changed } = await saveSurveyFromFile(deps.db, input, now, label, systemActor);
      if (changed) deps.log.info({ file: label, survey: input.key }, 'survey loaded from its file');
    } catch (err) {
      errors.push({ file: label, message: describe(err) });
    }
  }
  // A survey whose file is gone stays as it was, and can be edited in the app again.
  const labels = new Set(names.map((n) => fileLabel(path.join(dir, n))));
  const dirLabel = fileLabel(dir);
  for (const survey of await listSurveys(deps.db)) {
    if (survey.source === 'file' && survey.source_file?.startsWith(`${dirLabel}/`) && !labels.has(survey.source_file)) {
      await setSurveySource(deps.db, survey.key, 'ui', null, now);
      deps.log.info({ file: survey.source_file, survey: survey.key }, 'survey file is gone; the survey is managed in the app again');
    }
  }
  for (const error of errors) deps.log.warn(error, `survey file refused: ${error.file}: ${error.message}`);
  lastErrors = errors;
  return errors;
}

/** Writes a survey to surveys/KEY.json; from then on the file manages it. Returns the file's path. */
export async function exportSurveyFile(deps: Deps, key: string, dir: string = surveysDir): Promise<string> {
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey) throw new NotFoundError(`No survey has the key ${key}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${survey.key}.json`);
  fs.writeFileSync(file, JSON.stringify(surveyFileContent(survey), null, 2) + '\n');
  await setSurveySource(deps.db, survey.key, 'file', fileLabel(file), deps.clock.now());
  return file;
}
