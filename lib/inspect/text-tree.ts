// Draws nested items with box-drawing branches, the way eliot-tree and `tree` do.
export interface TreeItem {
  label: string;
  children?: TreeItem[];
}

export function drawTree(root: TreeItem): string[] {
  const out = [root.label];
  const walk = (items: TreeItem[], prefix: string) => {
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const [label, ...more] = item.label.split('\n');
      out.push(`${prefix}${last ? '└── ' : '├── '}${label}`);
      const inner = `${prefix}${last ? '    ' : '│   '}`;
      for (const m of more) out.push(`${inner}${m}`);
      walk(item.children ?? [], inner);
    });
  };
  walk(root.children ?? [], '');
  return out;
}
