/** Redis's validateClientName: printable ASCII without spaces ('!'..'~'). */
export function isValidClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}
