import type { VanCanvassRequest } from '@call-sync/core';

/** A phone canvass answered Not Home (result code 1), valid for the contract fixture's keys. */
export const notHome = {
  canvassContext: {
    contactTypeId: 1,
    inputTypeId: 11,
    dateCanvassed: '2026-10-25T18:00:00-04:00',
    phone: { dialingPrefix: '1', phoneNumber: '9195550101' },
    skipMatching: true,
  },
  resultCodeId: 1,
} satisfies VanCanvassRequest;
