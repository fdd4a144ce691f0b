import { expect } from 'chai';
import type { z } from 'zod';
import { ValidationError } from '../../server/errors.ts';
import { formNumber, parseFormFields } from '../../server/http/forms.ts';
import { defaultSettings, globalRulesSchema, settingsSchema } from '../../server/settings/service.ts';
import { formFromSettings, settingsFromForm } from '../../server/settings-page/form.ts';
import { proposedFromForm, formFromRules } from '../../server/simulation/form.ts';
import { formFromTemplate, inputFromForm } from '../../server/survey-editor/form.ts';
import { surveyRulesSchema, type Survey } from '../../server/surveys/model.ts';
import { surveyInputSchema } from '../../server/surveys/schemas.ts';

/** What the JSON API says about a value: the schema's own message. */
const schemaMessage = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0].message;

/** The {field: message} of a form that failed. */
function formErrors(parse: () => unknown): Record<string, string> {
  try {
    parse();
  } catch (err) {
    if (err instanceof ValidationError) return Object.fromEntries(err.errors.map((e) => [e.field, e.message]));
    throw err;
  }
  throw new Error('the form was accepted');
}

describe('form parsing (the limits of the schemas)', () => {
  const reminder = surveyRulesSchema.shape.reminder_after_days;

  it('refuses a number over the limit with the schema\'s message', () => {
    const field = formNumber(reminder, { optional: true });
    expect(field.safeParse('61').error?.issues[0].message).to.equal(schemaMessage(reminder, 61)).and.to.contain('from 1 to 60 days');
    expect(field.safeParse('60').data).to.equal(60);
  });

  it('takes a blank field as undefined when it may be blank, and as missing when not', () => {
    expect(formNumber(reminder, { optional: true }).safeParse('').data).to.equal(undefined);
    expect(formNumber(surveyInputSchema.shape.send_delay_minutes).safeParse('').error?.issues[0].message).to.equal('is required');
  });

  it('refuses text that is not digits before it is a number', () => {
    const whole = formNumber(globalRulesSchema.shape.cooldown_after_invitation_days, { optional: true });
    for (const typed of ['-3', '2.5', '1e3', 'soon', '0x10']) expect(whole.safeParse(typed).error?.issues[0].message, typed).to.equal('must be a whole number');
    const decimal = formNumber(surveyInputSchema.shape.sample_rate, { decimal: true });
    expect(decimal.safeParse('lots').error?.issues[0].message).to.equal('must be a number such as 25 or 12.5');
    expect(decimal.safeParse('12.345').data).to.equal(12.35);
  });

  it('names every bad field at once and keeps the values that parsed', () => {
    const { values, errors } = parseFormFields(
      { a: '61', b: '', c: '7' },
      { a: formNumber(reminder, { optional: true }), b: formNumber(reminder, { optional: true }), c: formNumber(reminder, { optional: true }) },
    );
    expect(values).to.deep.equal({ b: undefined, c: 7 });
    expect(errors).to.deep.equal([{ field: 'a', message: schemaMessage(reminder, 61) }]);
  });

  it('gives each form the limits of its schema', () => {
    // The survey form: the reminder's limit and words from the survey rules.
    const survey = { ...formFromTemplate('nps'), key: 'a-nps', touchpoint: 'aa', reminder_after_days: '61' };
    expect(formErrors(() => inputFromForm(survey))).to.deep.equal({ reminder_after_days: schemaMessage(reminder, 61) });
    expect(inputFromForm({ ...survey, reminder_after_days: '' }).rules?.reminder_after_days).to.equal(null);

    // Settings: the audit retention's, from the settings schema.
    const retention = settingsSchema.shape.audit_retention_days;
    const settings = { ...formFromSettings(defaultSettings), audit_retention_days: '4000' };
    expect(formErrors(() => settingsFromForm(settings))).to.deep.equal({ audit_retention_days: schemaMessage(retention, 4000) });
    expect(settingsFromForm({ ...settings, audit_retention_days: '365', cooldown_after_invitation_days: '' }).contact_rules.cooldown_after_invitation_days).to.equal(null);

    // The simulation: the schemas' limits, in the page's words.
    const saved = { sample_rate: 100, send_delay_minutes: 0, rules: { cooldown_after_invitation_days: 90 } } as Survey;
    const simulation = { ...formFromRules(saved, defaultSettings.contact_rules), send_delay_minutes: '43201', global_cap_count: '0', sample_rate: '0.001' };
    expect(formErrors(() => proposedFromForm(simulation, saved, defaultSettings.contact_rules))).to.deep.equal({
      send_delay_minutes: 'must be between 0 and 43200',
      global_cap_count: 'must be between 1 and 1000',
      sample_rate: schemaMessage(surveyInputSchema.shape.sample_rate, 0.001),
    });
  });
});
