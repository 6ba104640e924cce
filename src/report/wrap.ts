/**
 * Plain text wrapped at word boundaries to `width` columns: the first line
 * starts `first` columns in (after a label the caller prints), the others are
 * indented by `indent` spaces.
 */
export const wrapText = (text: string, width: number, indent: number, first = 0): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    const room = width - (lines.length === 0 ? first : indent)
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line)
      line = word
    } else {
      line = line === "" ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines.map((l, i) => (i === 0 ? l : `${" ".repeat(indent)}${l}`))
}
