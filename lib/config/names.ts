// Node names become image path components and directory names under logs/; step names become
// image tags. Both rules must hold, so both are checked here, once.

const NODE = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
// docker/distribution reference grammar: a path component.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const STEP = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;

/** Reserved: the last step of a node is also tagged <node>:final. */
export const FINAL_TAG = 'final';

/** undefined when valid, else why not. */
export function nodeNameProblem(name: string): string | undefined {
  if (!NODE.test(name)) return `invalid node name "${name}": must match ^[a-z0-9][a-z0-9_.-]{0,127}$ (lowercase image name component and safe file name)`;
  if (!COMPONENT.test(name))
    return `invalid node name "${name}": not a valid image name component (separators ".", "_", "__" or dashes must sit between letters/digits)`;
  return undefined;
}

export function stepNameProblem(name: string): string | undefined {
  if (!STEP.test(name)) return `invalid step name "${name}": must match ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ (an image tag)`;
  if (name === FINAL_TAG) return `step name "${FINAL_TAG}" is reserved (the last step of a node is tagged "${FINAL_TAG}")`;
  return undefined;
}

export function treeNameProblem(name: string): string | undefined {
  return NODE.test(name) ? undefined : `invalid tree name "${name}": must match ^[a-z0-9][a-z0-9_.-]{0,127}$`;
}

/** A docker repository: optional registry host, then lowercase path components. */
export function repositoryProblem(repo: string): string | undefined {
  const parts = repo.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasDomain ? parts.slice(1) : parts;
  const ok = (!hasDomain || DOMAIN.test(first)) && path.length > 0 && path.every((c) => COMPONENT.test(c)) && repo.length <= 200;
  return ok
    ? undefined
    : `invalid repository "${repo}": must be a docker repository name such as "stalker" or "registry:5000/team/stalker" (lowercase components separated by "/")`;
}
