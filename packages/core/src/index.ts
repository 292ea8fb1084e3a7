export * from './van-canvass';
