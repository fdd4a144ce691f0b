/** Words for the demo workspace: names, segments and comments in English and German. */

export const firstNames = ['Anna', 'Ben', 'Clara', 'David', 'Elif', 'Felix', 'Greta', 'Hannah', 'Ivan', 'Jonas', 'Katrin', 'Lukas', 'Maria', 'Noah', 'Olivia', 'Paul', 'Quentin', 'Rosa', 'Sara', 'Tom', 'Uwe', 'Vera', 'Wen', 'Yusuf', 'Zoe'];
export const lastNames = ['Schmidt', 'Miller', 'Yilmaz', 'Nowak', 'Rossi', 'Jensen', 'Weber', 'Garcia', 'Fischer', 'Brown', 'Novak', 'Becker', 'Khan', 'Wagner', 'Smith', 'Hoffmann'];

export const regions = ['north', 'south', 'east', 'west'] as const;
export const agents = ['Alex', 'Birgit', 'Chen', 'Dana', 'Emre', 'Fatima', 'Georg'];
export const products = ['furniture', 'appliances', 'electronics', 'garden'];
export const plans = ['starter', 'team', 'enterprise'];

type Mood = 'good' | 'fair' | 'poor';

/** Short comments by mood, per touchpoint and locale; a reason is sometimes added. */
export const comments: Record<string, Record<'en' | 'de', Record<Mood, string[]>>> = {
  delivery: {
    en: {
      good: ['Arrived a day early, well packed.', 'The driver called ahead and carried it upstairs. Great!', 'Smooth from order to doorstep.', 'Tracking was accurate to the minute.', 'Friendly driver, no damage at all.'],
      fair: ['Fine, but the delivery window was very wide.', 'Arrived on time, box was a bit dented.', 'OK overall, tracking updates were late.', 'Good, though I had to reschedule once.'],
      poor: ['Two days late and nobody told me.', 'The parcel was left outside in the rain.', 'Item arrived damaged, still waiting for a replacement.', 'Driver never rang, just left a note.', 'Missed the slot twice.'],
    },
    de: {
      good: ['Einen Tag früher als angekündigt, super verpackt.', 'Der Fahrer hat vorher angerufen und alles hochgetragen.', 'Alles reibungslos, gerne wieder.', 'Sendungsverfolgung war minutengenau.'],
      fair: ['In Ordnung, aber das Lieferfenster war sehr lang.', 'Pünktlich, Karton leicht beschädigt.', 'Insgesamt ok, Updates kamen spät.'],
      poor: ['Zwei Tage zu spät, ohne Info.', 'Paket stand im Regen vor der Tür.', 'Ware beschädigt angekommen.', 'Fahrer hat nicht geklingelt.'],
    },
  },
  'support-ticket-closed': {
    en: {
      good: ['Solved on the first call, thank you!', 'Very patient and clear explanation.', 'Quick answer and it actually fixed the problem.', 'The agent followed up the next day, impressive.'],
      fair: ['Solved, but it took three emails.', 'Helpful in the end, long wait on the phone.', 'The answer was right but a bit generic.'],
      poor: ['Ticket closed without a solution.', 'I had to explain the problem four times.', 'Waited a week for a reply.', 'Copy-paste answer that ignored my question.'],
    },
    de: {
      good: ['Beim ersten Anruf gelöst, danke!', 'Sehr geduldig und verständlich erklärt.', 'Schnelle Antwort, Problem behoben.'],
      fair: ['Gelöst, aber erst nach mehreren E-Mails.', 'Am Ende hilfreich, lange Warteschleife.'],
      poor: ['Ticket geschlossen, Problem besteht weiter.', 'Eine Woche auf Antwort gewartet.', 'Standardantwort, die meine Frage ignoriert.'],
    },
  },
  'onboarding-call': {
    en: {
      good: ['Setup was done in twenty minutes.', 'Clear steps, I knew exactly what to do next.', 'The trainer adapted to our team, very easy.'],
      fair: ['Mostly easy, the import step was confusing.', 'Good call, but the follow-up email came late.', 'Fine, though it ran over time.'],
      poor: ['Too much jargon, I still do not know how to start.', 'We had to book a second call for the basics.', 'The screen share kept failing.'],
    },
    de: {
      good: ['Einrichtung in zwanzig Minuten erledigt.', 'Klare Schritte, sehr einfach.', 'Die Trainerin ist auf unser Team eingegangen.'],
      fair: ['Meist einfach, der Import war unklar.', 'Guter Termin, die Zusammenfassung kam spät.'],
      poor: ['Zu viel Fachjargon, ich weiß nicht, wie ich anfangen soll.', 'Wir brauchten einen zweiten Termin für die Grundlagen.'],
    },
  },
};

export const addenda: Record<'en' | 'de', string[]> = {
  en: ['', '', '', ' Keep it up.', ' Please pass this on to the team.', ' Would order again.', ' Not the first time, though.'],
  de: ['', '', '', ' Weiter so.', ' Bitte ans Team weitergeben.', ' Gerne wieder.', ' Leider nicht das erste Mal.'],
};
