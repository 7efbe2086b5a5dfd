// Where stalker puts what it builds: `<repository>/<node>:<step>`, `<node>:final` for the node's
// last step (children start from it), `<node>:failed-<step>` for the kept state of a failed step.
import { FINAL_TAG } from '../config/names.js';

export { FINAL_TAG };

export const FAILED_TAG_PREFIX = 'failed-';

export function repoOf(repository: string, node: string): string {
  return `${repository}/${node}`;
}

export function failedTag(step: string): string {
  return `${FAILED_TAG_PREFIX}${step}`;
}

export function imageRef(repository: string, node: string, tag: string): string {
  return `${repoOf(repository, node)}:${tag}`;
}
