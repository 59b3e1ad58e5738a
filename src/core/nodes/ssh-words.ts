/**
 * CREWMUX_SSH_COMMAND split into words the way a POSIX shell splits a simple command, without running one:
 * blanks separate words, 'single quotes' keep everything, "double quotes" keep everything but `\"`, `\\`,
 * `\$` and `` \` `` escapes, a backslash outside quotes keeps the next character. Nothing is expanded
 * (no `$VAR`, no `~`, no globs), so the value can never run anything but the program it names (after git's
 * GIT_SSH_COMMAND, which does run a shell). Pure.
 */

/** The words of `text`, or an error message (unbalanced quote, trailing backslash). */
export function splitWords(text: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { error: `unbalanced ' at character ${i + 1}` };
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) return { error: `unbalanced " at character ${i + 1}` };
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { error: 'a trailing backslash' };
      word += text[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words };
}
