import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../pages/page-props.ts';
import { ErrorBox, Loading } from './status.tsx';

/**
 * A page whose code loads on first use: the pages with plots pull in the plotting
 * library, which the Stores, Keys and Entry pages then never wait for.
 */
export function lazyPage(load: () => Promise<ComponentType<PageProps>>): ComponentType<PageProps> {
  let loaded: Promise<ComponentType<PageProps>> | undefined;
  return function LazyPage(props: PageProps) {
    const [page, setPage] = useState<{ Component?: ComponentType<PageProps>; error?: Error }>({});
    useEffect(() => {
      loaded ??= load();
      loaded.then(
        (Component) => setPage({ Component }),
        (error: Error) => setPage({ error }),
      );
    }, []);
    if (page.error) return <ErrorBox error={page.error} />;
    return page.Component ? <page.Component {...props} /> : <Loading when={true} />;
  };
}
