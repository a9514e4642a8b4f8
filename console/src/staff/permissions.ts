// Grouping the permission catalogue for the editor.

export type PermissionInfo = { name: string; group: string; description: string; requiresSecondFactor: boolean; available?: boolean };

export function groupPermissions(catalogue: readonly PermissionInfo[]): [string, PermissionInfo[]][] {
  const groups = new Map<string, PermissionInfo[]>();
  for (const p of catalogue) {
    const list = groups.get(p.group) ?? [];
    list.push(p);
    groups.set(p.group, list);
  }
  return [...groups.entries()];
}

/** Adds a preset's permissions to the chosen ones (never removes any). */
export function applyPreset(chosen: readonly string[], preset: readonly string[]): string[] {
  return [...new Set([...chosen, ...preset])];
}
