import type { ComponentChildren } from 'preact';
import type { ValueNode } from '../../api-types.ts';

function More({ shown, total }: { shown: number; total: number }) {
  return total > shown ? <li class="muted">… {total - shown} more not shown (download the value to see all)</li> : null;
}

function Leaf({ node }: { node: ValueNode }) {
  switch (node.t) {
    case 'null':
    case 'undefined':
      return <span class="v-null">{node.t}</span>;
    case 'boolean':
      return <span class="v-bool">{String(node.v)}</span>;
    case 'number':
      return <span class="v-num">{String(node.v)}</span>;
    case 'bigint':
      return <span class="v-num">{node.v}n</span>;
    case 'string':
      return (
        <span class="v-str">
          {JSON.stringify(node.v)}
          {node.total > node.v.length ? <span class="muted"> … ({node.total} characters)</span> : null}
        </span>
      );
    case 'date':
      return <span class="v-date">Date {node.v}</span>;
    case 'bytes':
      return (
        <span class="v-bytes">
          bytes({node.total}) {node.hex}
          {node.total * 2 > node.hex.length ? '…' : ''}
        </span>
      );
    default:
      return <span class="v-other">{'v' in node ? String(node.v) : node.t}</span>;
  }
}

function label(node: ValueNode): string {
  switch (node.t) {
    case 'array':
      return `Array(${node.total})`;
    case 'typed':
      return `${node.type}(${node.total})`;
    case 'object':
      return `Object {${node.total}}`;
    case 'map':
      return `Map(${node.total})`;
    case 'set':
      return `Set(${node.total})`;
    default:
      return '';
  }
}

/**
 * A decoded value as a collapsible tree (native details/summary). Every key and value
 * is rendered as text, so a value holding markup shows as markup, never runs.
 */
export function JsonTree({ node, name, depth = 0 }: { node: ValueNode; name?: string; depth?: number }) {
  const head = name === undefined ? null : <span class="v-key">{name}: </span>;
  let children: ComponentChildren;
  let shown = 0;
  let total = 0;
  switch (node.t) {
    case 'array':
    case 'set':
      children = node.items.map((item, i) => <JsonTree key={i} node={item} name={String(i)} depth={depth + 1} />);
      [shown, total] = [node.items.length, node.total];
      break;
    case 'typed':
      children = node.items.map((item, i) => (
        <li key={i}>
          <span class="v-key">{i}: </span>
          <span class="v-num">{String(item)}</span>
        </li>
      ));
      [shown, total] = [node.items.length, node.total];
      break;
    case 'object':
      children = node.entries.map(([k, v]) => <JsonTree key={k} node={v} name={k} depth={depth + 1} />);
      [shown, total] = [node.entries.length, node.total];
      break;
    case 'map':
      children = node.entries.map(([k, v], i) => (
        <li key={i}>
          <span class="v-key">key: </span>
          <JsonTreeInline node={k} />
          <ul class="tree">
            <JsonTree node={v} name="value" depth={depth + 2} />
          </ul>
        </li>
      ));
      [shown, total] = [node.entries.length, node.total];
      break;
    default:
      return (
        <li>
          {head}
          <Leaf node={node} />
        </li>
      );
  }
  const tree = (
    <details open={depth < 2}>
      <summary>
        {head}
        <span class="muted">{label(node)}</span>
      </summary>
      <ul class="tree">
        {children}
        <More shown={shown} total={total} />
      </ul>
    </details>
  );
  return depth === 0 ? <ul class="tree root">{<li>{tree}</li>}</ul> : <li>{tree}</li>;
}

function JsonTreeInline({ node }: { node: ValueNode }) {
  return node.t === 'array' || node.t === 'object' || node.t === 'map' || node.t === 'set' || node.t === 'typed' ? (
    <ul class="tree">
      <JsonTree node={node} depth={3} />
    </ul>
  ) : (
    <Leaf node={node} />
  );
}
