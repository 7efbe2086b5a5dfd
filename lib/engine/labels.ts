// Label names stalker puts on everything it creates, and finds things again by.
export const LABEL = {
  tool: 'stalker.tool',
  version: 'stalker.version',
  run: 'stalker.run',
  pid: 'stalker.pid',
  tree: 'stalker.tree',
  node: 'stalker.node',
  step: 'stalker.step',
  key: 'stalker.key',
  keyParts: 'stalker.key-parts',
  parent: 'stalker.parent',
  failed: 'stalker.failed',
} as const;

export const TOOL = 'stalker';
export const TOOL_VERSION = '0.1.0';
