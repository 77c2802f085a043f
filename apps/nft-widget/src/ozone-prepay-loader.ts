/** Loads the payment code (a dynamic import, so ethers and the bridge client are their own chunk). */
export const loadOzonePrepay = (): Promise<typeof import('./ozone-prepay.js')> => import('./ozone-prepay.js')
