import { openBackend } from './src/index.ts';

for (const url of [
  'redis://127.0.0.1:6379/99',
  'redis://127.0.0.1/foo',
  'redis://127.0.0.1:6379/3?prefix=t3x',
  'redis://127.0.0.1/0?prefx=a',
]) {
  try {
    const s = await openBackend(url);
    console.log('opened', url, (await s.info()).details);
    await s.close();
  } catch (e) {
    console.log(url, (e as Error).constructor.name, (e as Error).message);
  }
}
try {
  await openBackend('redis://127.0.0.1/0?prefix=nonexist_zz', { create: false });
} catch (e) {
  console.log((e as Error).constructor.name, (e as Error).message);
}
