/**
 * A run terminal's tab name: what runs first, "ML Intern" last. Eight tabs all starting with
 * "ML Intern: " were cut to the same text in the terminal list (issue 25 polish); the rocket icon
 * already says whose terminals they are.
 */
const PREFIX = /^ML Intern:\s*/;

export function terminalTitle(name: string): string {
  const what = name.replace(PREFIX, '').trim();
  return what ? `${what} · ML Intern` : 'ML Intern';
}
